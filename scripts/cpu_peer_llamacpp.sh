#!/usr/bin/env bash
# The CPU peer of docs/results/cpu.md: llama.cpp's CPU backend and qwen3emb's cpu backend on the same random
# 0.6B-shaped f32 weights, the same token counts and thread counts, one after the other in one run (not in CI).
#   LLAMA_BIN=DIR scripts/cpu_peer_llamacpp.sh [OUT_DIR]      (default OUT_DIR /tmp/qwen3-cpu-peer)
# LLAMA_BIN: a folder holding llama.cpp's llama-bench (how to build one from the npm package node-llama-cpp:
# docs/results/cpu.md, "The llama.cpp peer").
# The weights: `qwen3emb quantize --random-weights --config 0.6b --type f32` (the random weights bench runs, seed 1)
# written as GGUF; both programs read that one file. llama-bench runs with --embeddings 1 (no output head: the
# pass an embedding model makes), one ubatch per prompt (-b/-ub 2048) and its default flash-attention choice;
# qwen3emb bench runs one sequence of the same length.
# Environment: QWEN3EMB (default build/apps/qwen3emb), SEQS (default 128,512,2048), REPEATS (default 3),
# THREADS (default "1 <cores>").
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${QWEN3EMB:-build/apps/qwen3emb}
OUT=${1:-/tmp/qwen3-cpu-peer}
SEQS=${SEQS:-128,512,2048}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-1 $(nproc)}
[ -x "$CLI" ] || { echo "cpu_peer_llamacpp: $CLI not built (scripts/build.sh)" >&2; exit 1; }
[ -n "${LLAMA_BIN:-}" ] && [ -x "$LLAMA_BIN/llama-bench" ] ||
  { echo "cpu_peer_llamacpp: set LLAMA_BIN to a folder with llama.cpp's llama-bench" >&2; exit 1; }
mkdir -p "$OUT"
GGUF=$OUT/random-0.6b-f32.gguf
[ -f "$GGUF" ] || "$CLI" quantize --random-weights --config 0.6b --type f32 --out "$GGUF"

echo "== $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, commit $(git rev-parse --short HEAD)"
"$CLI" --version | sed -n '/CPU build/,/CPU threads/p'
echo "llama.cpp: $(cd "$LLAMA_BIN" && ./llama-bench --version 2>&1 | head -1 || true)"
for t in $THREADS; do
  echo "== $t thread(s), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  "$LLAMA_BIN/llama-bench" -m "$GGUF" -p "$SEQS" -n 0 -t "$t" -b 2048 -ub 2048 -r "$REPEATS" -embd 1 -o json \
    > "$OUT/llama_t$t.json" 2> "$OUT/llama_t$t.log"
  "$CLI" bench --backend cpu --model "$GGUF" --seq "$SEQS" --batch 1 --threads "$t" --warmup 1 --repeats "$REPEATS" \
    --json "$OUT/qwen3emb_t$t.json" > "$OUT/qwen3emb_t$t.log" 2>&1
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$OUT" $THREADS <<'PY'
import json, sys
out, threads = sys.argv[1], [int(t) for t in sys.argv[2:]]
print("threads  tokens  qwen3emb tok/s  llama.cpp tok/s  qwen3emb / llama.cpp  (qwen3emb: % of its GEMM rate)")
for t in threads:
    ours = {c["seq"]: c for c in json.load(open(f"{out}/qwen3emb_t{t}.json"))["cells"]}
    for r in json.load(open(f"{out}/llama_t{t}.json")):
        n = r["n_prompt"]
        if n not in ours:
            continue
        o = ours[n]
        print(f"{t:7d}  {n:6d}  {o['tokens_per_s']:14.1f}  {r['avg_ts']:15.1f}  {o['tokens_per_s'] / r['avg_ts']:20.2f}"
              f"  ({100 * o['fraction_of_peak']:.0f}%)")
PY
