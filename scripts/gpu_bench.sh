#!/usr/bin/env bash
# The performance figures of the GPU backends, in one command for the lent GPU machine (after gpu_check.sh has
# passed). Every figure is printed by the project's own programs; the logs, CSVs, JSONs and traces go to
# build-gpu/bench/ and, when $OUT is set, to $OUT/bench.tgz with the summary in $OUT/bench_summary.txt.
#   1. gemm_ladder, steps 0, 9, 10: the GEMMs cuda_opt is built on, 8B shapes at M = 4096 and 4096³, and step 9's
#      tilings side by side (--step9-tilings all), after the ceilings step 9 runs under (--ceilings: mma.sync and
#      ldmatrix on their own)
#   1b. gemm_quant_bench: the weight-only quantised GEMMs (W8A16, W4A16 on Q4_K) against cuBLAS bf16, 0.6B and 8B
#      layer shapes at 1-64 tokens, with the speed-up predicted from bytes (docs/gemm_ladder.md, "Quantised weights");
#      then cuda_opt end to end on 8-64 token passes of the 0.6B shapes, bf16 against GGUF Q8_0 and Q4_K
#   2. cuda_opt, 8B config, 1024 and 1040 tokens (the wave-quantisation cliff), batch 1 and 8: --gemm ladder vs
#      --gemm cublas, and --no-graph
#      (the issue's end-to-end ratios; the cuBLAS bf16 4096³ rate is measured by bench in the same run)
#   3. the throughput grid, cuda_opt vs the PyTorch peer (transformers' Qwen3Model, bf16, sdpa), same cells
#   4. traces of the 8B pass at 800 and 2600 tokens with the per-kernel summary (the kernel breakdown), and at 1024
#      tokens with and without the CUDA graph: the tracing overhead against the untraced pass
# Same environment as gpu_check.sh (QWEN3_PREBUILT=.gpu-build to use a carried build). QWEN3_BENCH_SEQ and
# QWEN3_BENCH_BATCH set the grid of 3 (default: a grid that fits a few minutes of an H100); QWEN3_BENCH_SKIP=REGEX
# skips the steps whose name matches (e.g. 'pytorch' when only cuda_opt changed).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -n "${QWEN3_PREBUILT:-}" ] && [ "${QWEN3_PREBUILT_ROOT:-/work/main}" != "$PWD" ]; then
  # lay out the prebuilt tree as gpu_check.sh does (running none of its steps), unless it already did, and run there
  [ -e "${QWEN3_PREBUILT_ROOT:-/work/main}/build-gpu" ] || OUT= QWEN3_STEPS='^$' bash scripts/gpu_check.sh >/dev/null 2>&1
  cd "${QWEN3_PREBUILT_ROOT:-/work/main}" || exit 1
fi
[ -f build-gpu/COMMIT ] && export QWEN3_COMMIT=${QWEN3_COMMIT:-$(cat build-gpu/COMMIT)}
[ -d .gpu-deps/usr ] && export LD_LIBRARY_PATH=$PWD/.gpu-deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:${LD_LIBRARY_PATH:-}
CLI=build-gpu/apps/qwen3emb
BENCH=build-gpu/bench
mkdir -p "$BENCH"
SEQ=${QWEN3_BENCH_SEQ:-260,1040,2080,5200}
BATCH=${QWEN3_BENCH_BATCH:-1,4,8,16,32}
[ -f data/tiny-qwen3/model.safetensors ] || "$CLI" init-tiny >/dev/null

run() {  # run NAME COMMAND...: output to $BENCH/NAME.log, and its last lines to the summary
  local name=$1; shift
  if [ -n "${QWEN3_BENCH_SKIP:-}" ] && [[ $name =~ $QWEN3_BENCH_SKIP ]]; then return; fi
  local t0=$SECONDS
  "$@" >"$BENCH/$name.log" 2>&1
  local rc=$?
  { echo "== $name (exit $rc, $((SECONDS - t0)) s): $*"; tail -n "${TAIL:-12}" "$BENCH/$name.log"; } >>"$BENCH/summary.txt"
}
: >"$BENCH/summary.txt"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,power.draw --format=csv,noheader >>"$BENCH/summary.txt" 2>&1

TAIL=8 run ceilings build-gpu/cuda_opt/gemm_ladder --ceilings --budget 0.5
TAIL=42 run ladder build-gpu/cuda_opt/gemm_ladder --steps 0,9,10 --step9-tilings all --shapes 8b,cube --tokens 4096 \
  --budget 0.5 --csv "$BENCH/ladder_top.csv"
for c in 0.6b 8b; do
  TAIL=90 run "quant-gemm-$c" build-gpu/quant_gemm/gemm_quant_bench --config "$c" --csv "$BENCH/quant_gemm_$c.csv"
done
# End to end on short passes, where the weight-only GEMMs run (up to 16 tokens): the 0.6B shapes as GGUF Q8_0 and
# Q4_K (random weights, quantised by the project; the files stay out of $BENCH, which is packed) against bf16.
TAIL=6 run opt-0.6b-short-bf16 "$CLI" bench --backend cuda_opt --config 0.6b --random-weights --seq 8,16,64 --batch 1 \
  --warmup 5 --repeats 50 --csv "$BENCH/opt_0.6b_short_bf16.csv"
for t in q8_0 q4_k; do
  run "quantize-0.6b-$t" "$CLI" quantize --random-weights --config 0.6b --type "$t" --out "build-gpu/0.6b-$t.gguf"
  TAIL=6 run "opt-0.6b-short-$t" "$CLI" bench --backend cuda_opt --model "build-gpu/0.6b-$t.gguf" --seq 8,16,64 \
    --batch 1 --warmup 5 --repeats 50 --csv "$BENCH/opt_0.6b_short_$t.csv"
done
for g in ladder cublas; do
  TAIL=8 run "opt-8b-1024-$g" "$CLI" bench --backend cuda_opt --gemm "$g" --config 8b --random-weights --seq 1024,1040 \
    --batch 1,8 --warmup 2 --repeats 10 --csv "$BENCH/opt_8b_1024_$g.csv" --json "$BENCH/opt_8b_1024_$g.json"
done
TAIL=8 run opt-8b-1024-nograph "$CLI" bench --backend cuda_opt --no-graph --config 8b --random-weights --seq 1024,1040 \
  --batch 1,8 --warmup 2 --repeats 10 --csv "$BENCH/opt_8b_1024_nograph.csv"
TAIL=30 run grid-opt-8b "$CLI" bench --backend cuda_opt --config 8b --random-weights --seq "$SEQ" --batch "$BATCH" \
  --warmup 1 --repeats 3 --csv "$BENCH/bench_cuda_opt_8b.csv" --json "$BENCH/bench_cuda_opt_8b.json"
TAIL=30 run grid-pytorch-8b env PYTHONUNBUFFERED=1 python3 scripts/bench_pytorch.py --config 8b --seq "$SEQ" \
  --batch "$BATCH" --warmup 1 --repeats 3 --csv "$BENCH/bench_pytorch_8b.csv" --json "$BENCH/bench_pytorch_8b.json"
for s in 800 2600; do
  TAIL=24 run "trace-opt-8b-$s" "$CLI" trace --backend cuda_opt --config 8b --random-weights --seq "$s" --batch 1 \
    -o "$BENCH/trace_opt_8b_$s.json.gz" --summary
done
for g in graph no-graph; do
  TAIL=10 run "trace-opt-8b-1024-$g" "$CLI" trace --backend cuda_opt --config 8b --random-weights --seq 1024 --batch 1 \
    $([ $g = no-graph ] && echo --no-graph) -o "$BENCH/trace_opt_8b_1024_$g.json.gz" --summary
done
cat "$BENCH/summary.txt"
if [ -n "${OUT:-}" ]; then
  cp "$BENCH/summary.txt" "$OUT/bench_summary.txt"
  tar -czf "$OUT/bench.tgz" -C build-gpu bench
fi
