#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU (the lent device machine): build Release with CUDA for the
# GPU present, run every test (GPU ones included), compare cuda_naive and cuda_opt with the CPU reference, run
# the GEMM ladder, run compute-sanitizer (memcheck, racecheck) over the ladder, cuda_opt's fused GEMMs and short
# forward passes of both GPU backends, and print a summary last.
# Full logs go to build-gpu/logs/; when $OUT is set (the device tool brings back at most 8 files from it),
# they are packed into $OUT/gpu_check_logs.tgz, with the summary in $OUT/summary.txt and the traces beside.
#
# On the lent machine, which cannot fetch packages: run scripts/setup.sh and scripts/gpu_deps.sh HERE first,
# then carry .gpu-deps and data/tokenizer:
#   run(command="bash scripts/gpu_check.sh", carry=[".gpu-deps", "data/tokenizer", "tests/js/node_modules"])
# or, to spend no lease time compiling, build here (BUILD_DIR=build-gpu scripts/build.sh -DQWEN3_NATIVE=OFF: the
# GPU machine's CPU is another one), then
# scripts/gpu_slim_build.sh, and:
#   run(command="QWEN3_PREBUILT=.gpu-build bash scripts/gpu_check.sh", carry=[".gpu-build", ".gpu-deps", "data/tokenizer"])
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# QWEN3_PREBUILT=DIR: use a build made on the development machine (same CUDA 13 toolkit, CUDA architecture 90)
# and carried here as DIR (scripts/gpu_slim_build.sh makes it), instead of building: that saves minutes of the
# lease. Its CTest files and test binaries name the absolute paths of the checkout they were built in
# (QWEN3_PREBUILT_ROOT, default /work/main), so that path is made here: a folder of links to this checkout,
# with build-gpu pointing at DIR, and the rest of the script runs there.
if [ -n "${QWEN3_PREBUILT:-}" ]; then
  [ -f "$QWEN3_PREBUILT/COMMIT" ] && export QWEN3_COMMIT=${QWEN3_COMMIT:-$(cat "$QWEN3_PREBUILT/COMMIT")}
  BUILT_ROOT=${QWEN3_PREBUILT_ROOT:-/work/main}
  if [ "$BUILT_ROOT" = "$ROOT" ]; then
    rm -rf build-gpu && mv "$QWEN3_PREBUILT" build-gpu
  else
    [ -e "$BUILT_ROOT" ] && { echo "gpu_check: $BUILT_ROOT exists; cannot lay out the prebuilt tree" >&2; exit 1; }
    mkdir -p "$BUILT_ROOT"
    for f in "$ROOT"/* "$ROOT"/.[!.]*; do
      [ "$(basename "$f")" = build-gpu ] || ln -s "$f" "$BUILT_ROOT/$(basename "$f")"
    done
    rm -f "$BUILT_ROOT/build-gpu" && ln -s "$ROOT/$QWEN3_PREBUILT" "$BUILT_ROOT/build-gpu"
    cd "$BUILT_ROOT" && ROOT=$BUILT_ROOT
  fi
  export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/extras/CUPTI/lib64:${LD_LIBRARY_PATH:-}
fi
LOGS=$ROOT/build-gpu/logs
mkdir -p "$LOGS"
JOBS=$(nproc)
SUMMARY=()
FAILED=0

# step NAME COMMAND...: runs COMMAND with its output in $LOGS/NAME.log, records PASS/FAIL and seconds.
# QWEN3_STEPS=REGEX runs only the steps whose name matches (e.g. 'ctest|opt' after a change to cuda_opt).
step() {
  local name=$1; shift
  if [ -n "${QWEN3_STEPS:-}" ] && ! [[ $name =~ $QWEN3_STEPS ]]; then return; fi
  local t0=$SECONDS
  if "$@" >"$LOGS/$name.log" 2>&1; then
    SUMMARY+=("$(printf '%-28s PASS %5ds' "$name" $((SECONDS - t0)))")
  else
    SUMMARY+=("$(printf '%-28s FAIL %5ds  (see %s)' "$name" $((SECONDS - t0)) "$LOGS/$name.log")")
    FAILED=1
  fi
}

# Libraries carried from a Debian machine (scripts/gpu_deps.sh), when this machine lacks them.
CMAKE_EXTRA=()
if [ -d .gpu-deps/usr ]; then
  CMAKE_EXTRA+=("-DCMAKE_PREFIX_PATH=$ROOT/.gpu-deps/usr")
  export LD_LIBRARY_PATH=$ROOT/.gpu-deps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
fi

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$LOGS/device.txt" 2>&1
echo "${QWEN3_COMMIT:-$(git rev-parse HEAD 2>/dev/null)}" >>"$LOGS/device.txt"

CLI=build-gpu/apps/qwen3emb

# Data: the tiny model from the carried tokenizer; the peer model from its script (numpy is there).
[ -f data/tiny-qwen3/model.safetensors ] || step init-tiny "$CLI" init-tiny
if [ ! -f data/peer-tiny/model.safetensors.index.json ]; then
  step peer-model python3 tests/data/peer_golden/make_model.py --out data/peer-tiny --tokenizer-dir data/tokenizer --copy-tokenizer
  # numpy does not promise the same random stream across versions: the published sha256 says if it held.
  step peer-model-sha bash -c "cd data/peer-tiny && sha256sum -c '$ROOT/tests/data/peer_golden/model.sha256'"
fi

# The Hugging Face golden for the tiny model (ref_cpu vs transformers), made here where torch and transformers
# are installed, before ctest so that GoldenHF.TinyModelMatchesTransformers checks it in this same run.
# Commit tests/data/golden_hf.json from $OUT afterwards.
if python3 -c "import torch, transformers" 2>/dev/null; then
  step golden-hf python3 scripts/make_golden.py --model data/tiny-qwen3 --out tests/data/golden_hf.json
  cp tests/data/golden_hf.json "$LOGS/" 2>/dev/null
fi
# The viewer's suites are left out: they need GLFW, an X server and stb, which this machine lacks, and no GPU.
# QWEN3_GPU_STRICT=1: a GPU test that cannot run here (no device found, a step or step-9 tiling this GPU cannot
# launch) fails instead of skipping; the skips that remain are the no-GPU paths, listed in the summary.
step ctest bash -c "cd build-gpu && QWEN3_GPU_STRICT=1 ctest --output-on-failure -j 8 -E '^(Viewer[A-Za-z]*|Ui)[.]'"
# Checkpoints the project did not write: transformers' save_pretrained (bf16, sharded) of a random 0.6B Qwen3Model,
# read by every backend and compared with transformers' own embeddings.
if python3 -c "import torch, transformers" 2>/dev/null; then
  step hf-checkpoint python3 scripts/hf_checkpoint_check.py --cli "$CLI" --backends cpu,cuda_naive,cuda_opt \
    --out "$ROOT/build-gpu/hf-qwen3-0.6b" --json "$LOGS/hf_checkpoint.json"
fi
step compare-tiny "$CLI" compare --backends cpu,cuda_naive --lengths 1,7,64,300
step compare-0.6b "$CLI" compare --backends cpu,cuda_naive --config 0.6b --random-weights --lengths 1,7,64,300
step trace-0.6b "$CLI" trace --backend cuda_naive --config 0.6b --random-weights --seq 1024 \
  -o "$LOGS/trace_naive_0.6b.json.gz" --summary
# cuda_opt (bf16) against the CPU reference: op by op on the tiny model with both GEMM paths, then the 0.6B shapes
# with the issue's mixed lengths (a 2048-token sequence among them).
step compare-opt-tiny "$CLI" compare --backends cpu,cuda_opt --ops --lengths 1,7,64,300
step compare-opt-tiny-cublas "$CLI" compare --backends cpu,cuda_opt --gemm cublas --ops --lengths 1,7,64,300
step compare-opt-0.6b "$CLI" compare --backends cpu,cuda_opt --config 0.6b --random-weights --lengths 1,7,64,300,2048
step gemm-ladder build-gpu/cuda_opt/gemm_ladder --shapes 8b,cube --tokens 4096 --budget "${QWEN3_LADDER_BUDGET:-1}" \
  --csv "$LOGS/gemm_ladder_8b_4096.csv"
SAN=(compute-sanitizer --error-exitcode 1)
LADDER_SAN_TESTS='*UnalignedPointersFallBack*:*FallsBackOnUnalignedPointers*'  # every step, every step-9 tiling
step memcheck-ladder "${SAN[@]}" --tool memcheck build-gpu/tests/test_cuda_gemm_ladder --gtest_filter="$LADDER_SAN_TESTS"
step racecheck-ladder "${SAN[@]}" --tool racecheck build-gpu/tests/test_cuda_gemm_ladder --gtest_filter="$LADDER_SAN_TESTS"
# Step 10 on aligned odd shapes, where most grids leave a sparse last wave that it shares along k (its partial sums
# go through a global workspace: memcheck sees those accesses; racecheck sees shared memory only).
step memcheck-step10-split "${SAN[@]}" --tool memcheck build-gpu/tests/test_cuda_gemm_ladder \
  --gtest_filter='*MatchesCublasOnOddAndModelShapes/step10*:*RepeatableBitForBit/step10*'
step memcheck-opt-gemm "${SAN[@]}" --tool memcheck build-gpu/tests/test_cuda_opt --gtest_filter='K/FusedGemm*'
step racecheck-opt-gemm "${SAN[@]}" --tool racecheck build-gpu/tests/test_cuda_opt --gtest_filter='K/FusedGemm*'
step memcheck-opt "${SAN[@]}" --tool memcheck "$CLI" compare --backends cpu,cuda_opt --lengths 1,7,33
step racecheck-opt "${SAN[@]}" --tool racecheck "$CLI" compare --backends cpu,cuda_opt --lengths 1,7,33
step memcheck "${SAN[@]}" --tool memcheck "$CLI" compare --backends cpu,cuda_naive --lengths 1,7,33
step racecheck "${SAN[@]}" --tool racecheck "$CLI" compare --backends cpu,cuda_naive --lengths 1,7,33
# GGUF models (quant_gemm/, cuda_opt/quant_linear.cu): a small random model quantised by the project to Q8_0 and
# Q4_K, run by cuda_opt against the CPU (which dequantises to fp32). Passes of up to kQuantMaxTokens (16) tokens run
# the weight-only GEMMs on the quantised weights (--lengths 1,7: 8 tokens), longer ones the bf16 GEMMs on the
# dequantised copy (1,7,64,300). Then the quantised GEMMs and such a pass under compute-sanitizer.
# (The files go beside the logs, not among them: the logs are packed for the trip back.)
GGUF=$ROOT/build-gpu/gguf
mkdir -p "$GGUF"
for t in q8_0 q4_k; do
  step "quantize-small-$t" "$CLI" quantize --random-weights --config small --seed 19 --type "$t" --out "$GGUF/small-$t.gguf"
  step "compare-opt-gguf-$t-quant" "$CLI" compare --backends cpu,cuda_opt --model "$GGUF/small-$t.gguf" --ops --lengths 1,7
  step "compare-opt-gguf-$t-bf16" "$CLI" compare --backends cpu,cuda_opt --model "$GGUF/small-$t.gguf" --lengths 1,7,64,300
  step "memcheck-opt-gguf-$t" "${SAN[@]}" --tool memcheck "$CLI" compare --backends cpu,cuda_opt \
    --model "$GGUF/small-$t.gguf" --lengths 1,7
done
step memcheck-quant-gemm "${SAN[@]}" --tool memcheck build-gpu/tests/test_cuda_quant_gemm
step racecheck-quant-gemm "${SAN[@]}" --tool racecheck build-gpu/tests/test_cuda_quant_gemm

{
  echo
  echo "gpu_check on $(head -1 "$LOGS/device.txt"), commit $(sed -n 2p "$LOGS/device.txt")"
  printf '%s\n' "${SUMMARY[@]}"
  if [ -f "$LOGS/ctest.log" ]; then
    grep -h 'tests passed' "$LOGS/ctest.log"
    echo "ctest skipped (expected: the no-GPU paths): $(grep '\*\*\*Skipped' "$LOGS/ctest.log" |
      sed -E 's/.*Test +#[0-9]+: ([^ ]+).*/\1/' | tr '\n' ' ')"
  fi
  for f in "$LOGS"/compare-*.log; do
    [ -f "$f" ] && echo "$(basename "$f" .log): $(grep -h -E "^(PASS|FAIL):" "$f" || echo 'no verdict (see its log)')"
  done
  grep -h -E "^forward pass:" "$LOGS"/trace-*.log 2>/dev/null | sed 's/^/trace: /'
} | tee "$LOGS/summary.txt"
if [ -n "${OUT:-}" ]; then
  cp "$LOGS/summary.txt" "$OUT/"
  cp "$LOGS"/*.json.gz "$OUT/" 2>/dev/null
  cp "$LOGS"/golden_hf.json "$LOGS"/hf_checkpoint.json "$OUT/" 2>/dev/null
  tar -czf "$OUT/gpu_check_logs.tgz" -C "$ROOT/build-gpu" logs
fi
exit $FAILED
