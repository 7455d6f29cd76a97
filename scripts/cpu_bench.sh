#!/usr/bin/env bash
# The CPU reference's benchmarks of docs/results/cpu.md, on this machine (not run in CI: figures, not tests).
#   scripts/cpu_bench.sh [OUT_DIR]      (default /tmp/qwen3-cpu-bench)
# 1. The 0.6B-shaped pass (random weights) at 128, 512 and 2048 tokens with 1 thread and with every core: tokens/s
#    and the fraction of an Eigen fp32 2048³ GEMM measured in the same run (bench's %peak column).
# 2. The tiny model at 8..2048 tokens with 1 and 2 threads, on the machine as it is and again with one other busy
#    process (a shell loop pinned to nothing, started and ended here): p50 and p95 per pass.
# Environment: QWEN3EMB (default build/apps/qwen3emb), SEQS_06B (default 128,512,2048), REPEATS (default 3),
# PARTS (default "06b tiny": which of the two to run).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${QWEN3EMB:-build/apps/qwen3emb}
OUT=${1:-/tmp/qwen3-cpu-bench}
SEQS_06B=${SEQS_06B:-128,512,2048}
REPEATS=${REPEATS:-3}
PARTS=${PARTS:-06b tiny}
CORES=$(nproc)
mkdir -p "$OUT"
[ -x "$CLI" ] || { echo "cpu_bench: $CLI not built (scripts/build.sh)" >&2; exit 1; }

echo "== $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $CORES cores, commit $(git rev-parse --short HEAD)"
"$CLI" --version | sed -n '/CPU build/,/CPU threads/p'
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

[[ " $PARTS " == *" 06b "* ]] && for t in 1 "$CORES"; do
  echo "== 0.6B, $t thread(s)"
  "$CLI" bench --backend cpu --config 0.6b --random-weights --seq "$SEQS_06B" --batch 1 --threads "$t" --warmup 1 \
    --repeats "$REPEATS" --json "$OUT/bench_0.6b_t$t.json" 2>/dev/null | sed -n '/^peak/p;/^ *[0-9]/p'
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done

tiny() {  # $1: label
  for t in 1 2; do
    "$CLI" bench --backend cpu --seq 8,32,128,512,2048 --batch 1 --threads "$t" --warmup 2 --repeats 30 \
      --peak-tflops 1 --json "$OUT/bench_tiny_${1}_t$t.json" >/dev/null 2>&1
  done
  python3 - "$OUT" "$1" <<'PY'
import json, sys
out, label = sys.argv[1], sys.argv[2]
runs = {t: json.load(open(f"{out}/bench_tiny_{label}_t{t}.json")) for t in (1, 2)}
print(f"tiny model, {label}: seq  p50 1t / 2t ms   p95 1t / 2t ms")
for c1, c2 in zip(runs[1]["cells"], runs[2]["cells"]):
    print(f"  {c1['seq']:6d}  {c1['latency_p50_ms']:8.3f} / {c2['latency_p50_ms']:8.3f}"
          f"   {c1['latency_p95_ms']:8.3f} / {c2['latency_p95_ms']:8.3f}")
PY
}
[[ " $PARTS " == *" tiny "* ]] || exit 0
tiny machine_as_is
sh -c 'while :; do :; done' &
BUSY=$!
trap 'kill $BUSY 2>/dev/null || true' EXIT
tiny one_busy_process
kill $BUSY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
