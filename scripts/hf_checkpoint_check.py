#!/usr/bin/env python3
"""The loader on a checkpoint the project did not write: transformers writes it, qwen3emb reads it.

Every other figure in docs/results/ comes from checkpoints this project wrote itself (init-tiny, the peer model's
script). Here transformers' own save_pretrained writes a randomly initialised Qwen3Model of the 0.6B config
(bfloat16, sharded by a small max_shard_size, so the shard index is transformers' too) beside the real tokenizer
files, and then:
  1. transformers embeds the texts: its tokenizer, <|endoftext|> (151643) appended as Qwen3-Embedding does,
     Qwen3Model in float32 (the bf16 weights widened, as qwen3emb does) with eager attention on the CPU, the last
     token's final state, L2-normalised;
  2. `qwen3emb embed --model DIR --backend B` embeds the same texts for each backend given;
  3. token counts must be equal; cpu and cuda_naive must agree with transformers to within --fp32-tol per
     component (both fp32), cuda_opt (bf16) by cosine >= --bf16-cos.
Prints one line per text and backend, writes the figures as JSON (--json), exits 1 when a bound is missed.

Run where torch and transformers are installed (the lent GPU machine):
    python3 scripts/hf_checkpoint_check.py --cli build-gpu/apps/qwen3emb --backends cpu,cuda_naive,cuda_opt \
        --out /tmp/hf-qwen3-0.6b --json hf_checkpoint.json
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys

import torch
import transformers
from transformers import AutoTokenizer, Qwen3Config, Qwen3Model

EOT = 151643  # <|endoftext|>

# The texts: short and long, several scripts, digits, an instruction-formatted query.
TEXTS = [
    "Hello, world",
    "The capital of China is Beijing.",
    "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:What is the capital of China?",
    "東京は日本の首都です。",
    "Ünïcödé, emoji 👩‍👩‍👧 and numbers 1234567890",
    " ".join(f"word{i}" for i in range(300)),
]

# The 0.6B config's shapes (core/config.cpp, ModelConfig::preset("0.6b")).
CONFIG_06B = dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
                  num_key_value_heads=8, head_dim=128, vocab_size=151669, max_position_embeddings=32768,
                  rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True)


def write_checkpoint(out, tokenizer_dir, shard):
    torch.manual_seed(1234)
    config = Qwen3Config(**CONFIG_06B, torch_dtype="bfloat16")
    model = Qwen3Model(config).to(torch.bfloat16)
    if os.path.isdir(out):
        shutil.rmtree(out)
    model.save_pretrained(out, max_shard_size=shard, safe_serialization=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, f), os.path.join(out, f))
    files = sorted(os.listdir(out))
    print(f"transformers {transformers.__version__} wrote {out}: {', '.join(files)}", flush=True)
    return files


def transformers_embeddings(out, texts):
    tok = AutoTokenizer.from_pretrained(out)
    try:  # transformers >= 4.56 calls it `dtype`; older versions `torch_dtype`
        model = Qwen3Model.from_pretrained(out, dtype=torch.float32, attn_implementation="eager")
    except TypeError:
        model = Qwen3Model.from_pretrained(out, torch_dtype=torch.float32, attn_implementation="eager")
    model = model.float().eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            ids = tok(text, add_special_tokens=False)["input_ids"] + [EOT]
            h = model(input_ids=torch.tensor([ids])).last_hidden_state[0, -1].double()
            rows.append({"tokens": len(ids), "embedding": (h / h.norm()).tolist()})
    return rows


def qwen3emb_embeddings(cli, out, backend, texts):
    args = [cli, "embed", "--model", out, "--backend", backend] + ["--"] + texts
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"qwen3emb ({backend}) exited {p.returncode}: {p.stderr.strip()}")
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if len(rows) != len(texts):
        raise RuntimeError(f"qwen3emb ({backend}) returned {len(rows)} embeddings for {len(texts)} texts")
    return rows


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(root, "build", "apps", "qwen3emb"))
    ap.add_argument("--tokenizer-dir", default=os.path.join(root, "data", "tokenizer"))
    ap.add_argument("--out", default="/tmp/hf-qwen3-0.6b", help="where transformers writes the checkpoint")
    ap.add_argument("--shard", default="200MB", help="save_pretrained's max_shard_size")
    ap.add_argument("--backends", default="cpu,cuda_naive,cuda_opt")
    ap.add_argument("--fp32-tol", type=float, default=1e-5, help="max |component difference|, fp32 backends")
    ap.add_argument("--bf16-cos", type=float, default=0.999, help="min cosine, cuda_opt")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    files = write_checkpoint(args.out, args.tokenizer_dir, args.shard)
    ref = transformers_embeddings(args.out, TEXTS)
    report = {"transformers": transformers.__version__, "torch": torch.__version__, "files": files,
              "config": CONFIG_06B, "results": {}}
    ok = True
    for backend in [b for b in args.backends.split(",") if b]:
        try:
            got = qwen3emb_embeddings(args.cli, args.out, backend, TEXTS)
        except RuntimeError as e:
            print(f"FAIL {backend}: {e}", flush=True)
            report["results"][backend] = {"error": str(e)}
            ok = False
            continue
        per_text = []
        for i, (r, g) in enumerate(zip(ref, got)):
            a, b = r["embedding"], g["embedding"]
            max_abs = max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else math.inf
            cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in b)) if len(a) == len(b) else 0.0
            same_tokens = r["tokens"] == g["tokens"]
            good = same_tokens and (cos >= args.bf16_cos if backend == "cuda_opt" else max_abs <= args.fp32_tol)
            ok &= good
            per_text.append({"tokens": r["tokens"], "qwen3emb_tokens": g["tokens"], "max_abs": max_abs, "cosine": cos,
                             "pass": good})
            print(f"{'PASS' if good else 'FAIL'} {backend:10s} text {i}: tokens {g['tokens']} (transformers "
                  f"{r['tokens']}), max |diff| {max_abs:.2e}, cosine {cos:.9f}", flush=True)
        report["results"][backend] = per_text
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    print("PASS: qwen3emb reads transformers' own checkpoint" if ok else "FAIL: see the lines above", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
