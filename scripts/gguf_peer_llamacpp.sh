#!/usr/bin/env bash
# The GGUF peer check of docs/results/quantization.md: llama.cpp and qwen3emb read the same GGUF files and embed
# the same texts; the script prints, per file, whether the token ids agree and how close the embeddings are.
# Files from both sides: qwen3emb's writer (`qwen3emb quantize`: F32, Q8_0 and Q4_K, which llama.cpp must load)
# and llama.cpp's llama-quantize (whose Q8_0 and Q4_K_M files qwen3emb must load). Not run in CI.
#   LLAMA_BIN=DIR scripts/gguf_peer_llamacpp.sh [OUT_DIR]      (default OUT_DIR /tmp/qwen3-gguf-peer)
# LLAMA_BIN: a folder with llama.cpp's llama-embedding, llama-tokenize and llama-quantize (docs/results/cpu.md,
# "The llama.cpp peer", says how to build them from the npm package node-llama-cpp).
# Models: the tiny model (rows of 64 values: Q8_0 only, K-quants need rows of 256) and the random 0.6B-shaped
# weights (seed 1) for the K-quants. Last, scripts/gguf_tensor_bytes.py compares the two Q8_0 files byte for byte.
# Environment: QWEN3EMB (default build/apps/qwen3emb), THREADS (default: cores).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${QWEN3EMB:-build/apps/qwen3emb}
OUT=${1:-/tmp/qwen3-gguf-peer}
THREADS=${THREADS:-$(nproc)}
[ -x "$CLI" ] || { echo "gguf_peer_llamacpp: $CLI not built (scripts/build.sh)" >&2; exit 1; }
for b in llama-embedding llama-tokenize llama-quantize; do
  [ -n "${LLAMA_BIN:-}" ] && [ -x "$LLAMA_BIN/$b" ] ||
    { echo "gguf_peer_llamacpp: set LLAMA_BIN to a folder with llama.cpp's $b" >&2; exit 1; }
done
mkdir -p "$OUT"
echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), llama.cpp $("$LLAMA_BIN/llama-bench" --version 2>&1 | head -1 || true)"

# The texts: English, punctuation, code, Chinese, emoji, a query with its instruction (one per line).
TEXTS=$OUT/texts.txt
cat > "$TEXTS" <<'EOF'
GGUF, at last: the same weights in two programs.
What is the capital of France? Paris is the capital and largest city of France.
for (int i = 0; i < n; ++i) { y[i] += a * x[i]; }
量化后的权重仍然给出相同的嵌入向量吗？
Emoji 🙂 and accents: café, naïve, Ångström.
EOF

# name=path pairs: who wrote each file is in its name.
gguf_file() { [ -f "$2" ] || "${@:3}" > "$OUT/make.log" 2>&1 || { cat "$OUT/make.log" >&2; exit 1; }; FILES+=("$1=$2"); }
FILES=()
gguf_file tiny.F32.qwen3emb "$OUT/tiny-f32.gguf" "$CLI" quantize --type f32 --out "$OUT/tiny-f32.gguf"
gguf_file tiny.Q8_0.qwen3emb "$OUT/tiny-q8_0.gguf" "$CLI" quantize --type q8_0 --out "$OUT/tiny-q8_0.gguf"
gguf_file 0.6b.F32.qwen3emb "$OUT/r06b-f32.gguf" "$CLI" quantize --random-weights --config 0.6b --type f32 \
  --out "$OUT/r06b-f32.gguf"
gguf_file 0.6b.Q8_0.qwen3emb "$OUT/r06b-q8_0.gguf" "$CLI" quantize --random-weights --config 0.6b --type q8_0 \
  --out "$OUT/r06b-q8_0.gguf"
gguf_file 0.6b.Q4_K.qwen3emb "$OUT/r06b-q4_k.gguf" "$CLI" quantize --random-weights --config 0.6b --type q4_k \
  --out "$OUT/r06b-q4_k.gguf"
gguf_file 0.6b.Q8_0.llama-quantize "$OUT/r06b-llama-q8_0.gguf" "$LLAMA_BIN/llama-quantize" "$OUT/r06b-f32.gguf" \
  "$OUT/r06b-llama-q8_0.gguf" Q8_0 "$THREADS"
gguf_file 0.6b.Q4_K_M.llama-quantize "$OUT/r06b-llama-q4_k_m.gguf" "$LLAMA_BIN/llama-quantize" "$OUT/r06b-f32.gguf" \
  "$OUT/r06b-llama-q4_k_m.gguf" Q4_K_M "$THREADS"

for f in "${FILES[@]}"; do
  name=${f%%=*} path=${f#*=}
  "$CLI" embed --model "$path" --threads "$THREADS" < "$TEXTS" > "$OUT/$name.qwen3emb.jsonl" 2> "$OUT/$name.qwen3emb.log"
  "$LLAMA_BIN/llama-embedding" -m "$path" -f "$TEXTS" --pooling last --embd-normalize 2 --embd-output-format json \
    -t "$THREADS" > "$OUT/$name.llama.json" 2> "$OUT/$name.llama.log"
  : > "$OUT/$name.ids"
  while IFS= read -r line; do
    echo "$("$CLI" tokenize --model "$path" -- "$line" 2>/dev/null) |" \
      "$("$LLAMA_BIN/llama-tokenize" -m "$path" -p "$line" --ids --log-disable 2>/dev/null | tail -1)" >> "$OUT/$name.ids"
  done < "$TEXTS"
done

python3 - "$OUT" "${FILES[@]}" <<'PY'
import json, math, sys
out, files = sys.argv[1], [f.split("=", 1) for f in sys.argv[2:]]
print("file (written by)               texts  same ids  cosine min   max |difference|")
for name, _ in files:
    ours = [json.loads(l)["embedding"] for l in open(f"{out}/{name}.qwen3emb.jsonl")]
    theirs = [d["embedding"] for d in json.load(open(f"{out}/{name}.llama.json"))["data"]]
    same_ids = 0
    for line in open(f"{out}/{name}.ids"):
        a, b = line.split("|")
        a, b = json.loads(a), json.loads(b.strip().replace("'", '"'))
        same_ids += a[:-1] == b and a[-1] == 151643  # llama-tokenize leaves out the end-of-text id the model appends
    cos = [sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
           for a, b in zip(ours, theirs)]
    diff = max(abs(x - y) for a, b in zip(ours, theirs) for x, y in zip(a, b))
    assert len(ours) == len(theirs), (name, len(ours), len(theirs))
    print(f"{name:32s} {len(ours):5d}  {same_ids:8d}  {min(cos):10.7f}  {diff:.2e}")
PY

# The same f32 weights quantised by both programs: does qwen3emb's Q8_0 quantiser write llama-quantize's bytes?
echo "Q8_0 of the same f32 weights, qwen3emb quantize against llama-quantize:"
python3 scripts/gguf_tensor_bytes.py "$OUT/r06b-q8_0.gguf" "$OUT/r06b-llama-q8_0.gguf"
