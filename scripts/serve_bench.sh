#!/usr/bin/env bash
# What serving costs over the bare forward pass (docs/results/serving.md; figures, not tests: not run in CI).
#   scripts/serve_bench.sh [OUT_DIR]      (default /tmp/qwen3-serve-bench)
# For each model: `qwen3emb bench` at SEQ tokens × BATCH sequences; then `qwen3emb serve` on the same model and
# backend, driven by `qwen3emb loadgen` with BATCH closed-loop clients each sending one SEQ-token input; then bench
# again (the machine may be shared: the two bench runs bracket the served one). Prints served tokens/s ÷ bench
# tokens/s (the mean of the two): the HTTP/JSON/queue path's cost is 1 − ratio (the issue's target: ≤ 10%).
#
# PARTS (default "tiny 06b"): which CPU models to run.
#   tiny  the default tiny model (data/tiny-qwen3), cpu backend; TINY_SEQ (256) × TINY_BATCH (8), TINY_REQUESTS (400)
#   06b   the 0.6B shapes with random weights, cpu; SEQ_06B (64) × BATCH_06B (2), REQUESTS_06B (12)
#   gpu   (only when asked: PARTS=gpu) the 8B config on cuda_opt: bench and the loadgen sweep at GPU_SEQ (1040)
#         tokens over GPU_BATCHES (1,4,16,64) next to the analysis's SGLang figures, and the plot
#         (scripts/plot_loadgen.py --bench --analysis) into OUT_DIR.
# Environment: QWEN3EMB (default build/apps/qwen3emb), THREADS (default: the cores), REPEATS (bench, default 3),
# WAIT_MS (the server's --max-batch-wait-ms for the CPU parts, default 0: no batching window).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${QWEN3EMB:-build/apps/qwen3emb}
OUT=${1:-/tmp/qwen3-serve-bench}
PARTS=${PARTS:-tiny 06b}
THREADS=${THREADS:-$(nproc)}
REPEATS=${REPEATS:-3}
WAIT_MS=${WAIT_MS:-0}
PY=/usr/bin/python3
mkdir -p "$OUT"
[ -x "$CLI" ] || { echo "serve_bench: $CLI not built (scripts/build.sh)" >&2; exit 1; }

echo "== $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, commit $(git rev-parse --short HEAD)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" || echo "serve_bench: serve exited with status $?" >&2
    SERVER_PID=
  fi
}
trap stop_server EXIT

# start_server NAME MODEL_FLAGS...: serve on a free port of 127.0.0.1; sets URL once it listens.
start_server() {
  local name=$1; shift
  rm -f "$OUT/$name.port"
  "$CLI" serve "$@" --host 127.0.0.1 --port 0 --port-file "$OUT/$name.port" 2>"$OUT/$name.serve.log" &
  SERVER_PID=$!
  for _ in $(seq 600); do
    if [ -s "$OUT/$name.port" ] && [ "$(tail -c1 "$OUT/$name.port" | od -An -c | tr -d ' ')" = '\n' ]; then
      URL="http://127.0.0.1:$(head -n1 "$OUT/$name.port")"
      return
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/$name.serve.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "serve_bench: serve ($name) did not listen within 60 s" >&2
  exit 1
}

# bench_tokens_per_s CSV SEQ BATCH: the tokens/s of that cell.
bench_tokens_per_s() {
  "$PY" -c 'import csv,sys; print(next(r["tokens_per_s"] for r in csv.DictReader(open(sys.argv[1]))
            if r["seq"] == sys.argv[2] and r["batch"] == sys.argv[3] and r["status"] == "ok"))' "$@"
}

# batch_fill URL: the server's forward passes so far and their mean inputs per pass, from its /metrics.
batch_fill() {
  "$PY" -c 'import sys, urllib.request
m = dict(l.rsplit(" ", 1) for l in urllib.request.urlopen(sys.argv[1] + "/metrics").read().decode().splitlines()
         if l.startswith("qwen3emb_batch_size_"))
n, s = float(m["qwen3emb_batch_size_count"]), float(m["qwen3emb_batch_size_sum"])
print("server: %d forward passes, %.2f inputs per pass" % (n, s / max(n, 1)))' "$1"
}

# compare NAME SEQ BATCH REQUESTS MODEL_FLAGS...: bench, serve + loadgen, bench; prints the ratio.
compare() {
  local name=$1 seq=$2 batch=$3 requests=$4; shift 4
  echo "== $name: $seq tokens × $batch, $THREADS thread(s): $*"
  local bench=("$CLI" bench "$@" --threads "$THREADS" --seq "$seq" --batch "$batch" --warmup 1 --repeats "$REPEATS"
               --peak-tflops 1)
  echo "\$ ${bench[*]} --csv $OUT/$name.bench1.csv"
  "${bench[@]}" --csv "$OUT/$name.bench1.csv" >/dev/null 2>&1
  local budget=(--threads "$THREADS" --max-batch-requests "$batch" --max-batch-tokens $((seq * batch))
                --max-batch-wait-ms "$WAIT_MS")
  start_server "$name" "$@" "${budget[@]}"
  local lg=("$CLI" loadgen --url "$URL" --concurrency "$batch" --tokens "$seq" --requests "$requests"
            --duration-s 120 --warmup 1)
  echo "\$ ${lg[*]} --csv $OUT/$name.loadgen.csv   (serve $* ${budget[*]})"
  "${lg[@]}" --csv "$OUT/$name.loadgen.csv" | sed -n '/conc/,$p'
  batch_fill "$URL"
  stop_server
  "${bench[@]}" --csv "$OUT/$name.bench2.csv" >/dev/null 2>&1
  local b1 b2 served
  b1=$(bench_tokens_per_s "$OUT/$name.bench1.csv" "$seq" "$batch")
  b2=$(bench_tokens_per_s "$OUT/$name.bench2.csv" "$seq" "$batch")
  served=$("$PY" -c 'import csv,sys; print(next(csv.DictReader(open(sys.argv[1])))["input_tokens_per_s"])' \
           "$OUT/$name.loadgen.csv")
  "$PY" -c 'import sys; b1, b2, s = map(float, sys.argv[1:4])
print("%s: bench %.5g then %.5g tokens/s, served %.5g tokens/s: ratio %.3f (HTTP/JSON/queue cost %.1f%%)"
      % (sys.argv[4], b1, b2, s, s / ((b1 + b2) / 2), 100 * (1 - s / ((b1 + b2) / 2))))' "$b1" "$b2" "$served" "$name"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

[[ " $PARTS " == *" tiny "* ]] && compare tiny "${TINY_SEQ:-256}" "${TINY_BATCH:-8}" "${TINY_REQUESTS:-400}" --backend cpu
[[ " $PARTS " == *" 06b "* ]] && compare 0.6b "${SEQ_06B:-64}" "${BATCH_06B:-2}" "${REQUESTS_06B:-12}" \
  --backend cpu --config 0.6b --random-weights

# ---- GPU: the analysis's sweep (cuda_opt, the 8B shapes) --------------------------------------------------------
if [[ " $PARTS " == *" gpu "* ]]; then
  SEQ=${GPU_SEQ:-1040}
  BATCHES=${GPU_BATCHES:-1,4,16,64}
  MAXB=$(tr ',' '\n' <<<"$BATCHES" | sort -n | tail -1)
  MODEL=(--backend cuda_opt --config 8b --random-weights)
  echo "== 8B on cuda_opt: bench, then the served sweep at $SEQ tokens, concurrency $BATCHES"
  "$CLI" bench "${MODEL[@]}" --seq "$SEQ" --batch "$BATCHES" --warmup 1 --repeats "$REPEATS" \
    --csv "$OUT/8b.bench.csv" 2>/dev/null | sed -n '/seq/,$p'
  start_server 8b "${MODEL[@]}" --max-batch-requests "$MAXB" --max-batch-tokens $((SEQ * MAXB)) \
    --trace "$OUT/8b.serve_trace.json.gz"
  "$CLI" loadgen --url "$URL" --concurrency "$BATCHES" --tokens "$SEQ" --requests "${GPU_REQUESTS:-256}" \
    --duration-s 30 --warmup 2 --csv "$OUT/8b.loadgen.csv" | sed -n '/conc/,$p'
  stop_server
  "$PY" - "$OUT/8b.bench.csv" "$OUT/8b.loadgen.csv" "$SEQ" <<'PY'
import csv, sys
bench = {r["batch"]: float(r["tokens_per_s"]) for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "ok"}
print("concurrency  served tok/s  bench tok/s  ratio  served emb/s   (analysis, SGLang on an H100: ~45,000 tok/s at "
      "saturation; 32.2 emb/s at 4 x 1040)")
for r in csv.DictReader(open(sys.argv[2])):
    b = bench.get(r["concurrency"])
    s = float(r["input_tokens_per_s"])
    print("%11s  %12.0f  %11s  %5s  %12.1f" % (r["concurrency"], s, "%.0f" % b if b else "-",
                                               "%.3f" % (s / b) if b else "-", float(r["embeddings_per_s"])))
PY
  "$PY" scripts/plot_loadgen.py "$OUT/8b.loadgen.csv" --bench "$OUT/8b.bench.csv" --analysis --prefix serve_8b \
    --out "$OUT" || echo "serve_bench: no plot (python3-matplotlib missing?)" >&2
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
