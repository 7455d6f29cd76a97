#!/usr/bin/env python3
"""Writes tests/data/gguf_peer/: llama.cpp's embeddings of the GGUF files qwen3emb writes for the "small" random
model (2 layers, hidden 256: core/config.h), which tests/test_gguf_peer.cpp compares with qwen3emb's own. Not run in
CI (it needs a llama.cpp build); CI regenerates the same files bit for bit and checks them against SHA256SUMS.

    LLAMA_BIN=DIR [QWEN3EMB=build/apps/qwen3emb] scripts/make_gguf_peer_goldens.py [WORK_DIR]

LLAMA_BIN holds llama-embedding, llama-tokenize and llama-quantize (docs/results/cpu.md, "The llama.cpp peer").
Steps:
  1. qwen3emb quantize --random-weights --config small --seed 1 writes small-f32.gguf, small-q8_0.gguf and
     small-q4_k.gguf (its own Q4_K quantiser: core/quant.cpp).
  2. llama-quantize turns small-f32.gguf into llama.cpp's own Q8_0 and Q4_K_M files; qwen3emb's Q8_0 tensors must
     be byte-identical to llama.cpp's (scripts/gguf_tensor_bytes.py), else the script stops.
  3. llama-embedding embeds the 20 peer texts (tests/data/peer_golden/texts.jsonl) from each of qwen3emb's three
     files: last-token pooling, L2 normalisation, KV cache in f32, flash attention off, prompts verbatim.
  4. llama-tokenize gives each text's ids (llama-embedding appends 151643 itself, as the file asks).
The SHA-256 of all five files, the token ids and the embeddings go to tests/data/gguf_peer/."""
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.environ.get("QWEN3EMB", os.path.join(ROOT, "build/apps/qwen3emb"))
LLAMA = os.environ.get("LLAMA_BIN", "")
WORK = sys.argv[1] if len(sys.argv) > 1 else "/tmp/qwen3-gguf-peer-goldens"
DEST = os.path.join(ROOT, "tests/data/gguf_peer")
SEP = "<#qwen3emb-separator#>"
END_OF_TEXT = 151643


def run(*cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


for tool in ("llama-embedding", "llama-tokenize", "llama-quantize"):
    if not os.access(os.path.join(LLAMA, tool), os.X_OK):
        sys.exit(f"make_gguf_peer_goldens: set LLAMA_BIN to a folder with llama.cpp's {tool}")
os.makedirs(WORK, exist_ok=True)
os.makedirs(DEST, exist_ok=True)
f = {name: os.path.join(WORK, name) for name in
     ("small-f32.gguf", "small-q8_0.gguf", "small-q4_k.gguf", "small-llama-q8_0.gguf", "small-llama-q4_k_m.gguf")}

# 1-2. the files
for t in ("f32", "q8_0", "q4_k"):
    run(CLI, "quantize", "--random-weights", "--config", "small", "--seed", "1", "--type", t,
        "--out", f[f"small-{t}.gguf"])
run(os.path.join(LLAMA, "llama-quantize"), f["small-f32.gguf"], f["small-llama-q8_0.gguf"], "Q8_0")
run(os.path.join(LLAMA, "llama-quantize"), f["small-f32.gguf"], f["small-llama-q4_k_m.gguf"], "Q4_K_M")
same = run(sys.executable, os.path.join(ROOT, "scripts/gguf_tensor_bytes.py"), f["small-q8_0.gguf"],
           f["small-llama-q8_0.gguf"]).strip()
print("Q8_0, qwen3emb against llama-quantize:", same)
if " 0 differ" not in same.replace(";", ""):
    sys.exit("make_gguf_peer_goldens: qwen3emb's Q8_0 tensors are not llama-quantize's")

# 3-4. llama.cpp's ids and embeddings
texts = [json.loads(line)["text"] for line in open(os.path.join(ROOT, "tests/data/peer_golden/texts.jsonl"))]
ids = [json.loads(run(os.path.join(LLAMA, "llama-tokenize"), "-m", f["small-f32.gguf"], "-p", t, "--ids",
                      "--no-escape", "--log-disable").strip().splitlines()[-1]) + [END_OF_TEXT] for t in texts]
golden = []
for name in ("small-f32.gguf", "small-q8_0.gguf", "small-q4_k.gguf"):
    out = run(os.path.join(LLAMA, "llama-embedding"), "-m", f[name], "-p", SEP.join(texts), "--embd-separator", SEP,
              "--no-escape", "--pooling", "last", "--embd-normalize", "2", "--embd-output-format", "json",
              "-fa", "off", "-ctk", "f32", "-ctv", "f32", "-c", "4096", "-b", "4096", "-ub", "4096",
              "-t", str(os.cpu_count()))
    rows = json.loads(out)["data"]
    assert len(rows) == len(texts), (name, len(rows))
    for i, (text, row) in enumerate(zip(texts, rows)):
        golden.append({"file": name, "text": text, "token_ids": ids[i], "embedding": row["embedding"]})

with open(os.path.join(DEST, "golden.jsonl"), "w") as g:
    for row in golden:
        g.write(json.dumps(row, ensure_ascii=False) + "\n")
with open(os.path.join(DEST, "SHA256SUMS"), "w") as s:
    for name, path in f.items():
        s.write(f"{sha256(path)}  {name}\n")
print(f"wrote {DEST}/golden.jsonl ({len(golden)} rows) and SHA256SUMS")
