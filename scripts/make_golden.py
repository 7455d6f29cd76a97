#!/usr/bin/env python3
"""Reference outputs from Hugging Face transformers for the tiny default model.

Loads data/tiny-qwen3 (written by `qwen3emb init-tiny`) with transformers' Qwen3Model in float32 with eager
attention on the CPU (no GPU needed), tokenises each text of tests/data/golden_texts.jsonl with the
model's own tokenizer.json through transformers (plus <|endoftext|> = 151643, which Qwen3-Embedding
appends), and writes tests/data/golden_hf.json:

  {"generator": {"torch": ..., "transformers": ..., "model_sha256": ...},
   "rows": [{"text", "token_ids", "hidden_last": [[H] per entry], "embedding": [H]}]}

hidden_last[0] is the embedding output at the last token, hidden_last[l] the output of decoder layer l
(1..L, taken with forward hooks so the result does not depend on how a transformers version fills
output_hidden_states), hidden_last[L+1] the output of model.norm; embedding = hidden_last[L+1] / its norm.

Run where torch and transformers are installed (the lent GPU machine has both):
    python3 scripts/make_golden.py [--model data/tiny-qwen3] [--out tests/data/golden_hf.json]
"""
import argparse
import hashlib
import json
import os

import torch
import transformers
from transformers import AutoTokenizer, Qwen3Model

EOT = 151643  # <|endoftext|>


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(root, "data", "tiny-qwen3"))
    ap.add_argument("--texts", default=os.path.join(root, "tests", "data", "golden_texts.jsonl"))
    ap.add_argument("--out", default=os.path.join(root, "tests", "data", "golden_hf.json"))
    args = ap.parse_args()

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(args.model)
    try:  # transformers >= 4.56 calls it `dtype`; older versions `torch_dtype`
        model = Qwen3Model.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
    except TypeError:
        model = Qwen3Model.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="eager")
    model = model.float()
    model.eval()

    captured = []
    hooks = [model.embed_tokens.register_forward_hook(lambda m, i, o: captured.append(o))]
    for layer in model.layers:
        hooks.append(layer.register_forward_hook(
            lambda m, i, o: captured.append(o[0] if isinstance(o, tuple) else o)))
    hooks.append(model.norm.register_forward_hook(lambda m, i, o: captured.append(o)))

    rows = []
    with open(args.texts, encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        if not ids or ids[-1] != EOT:
            ids = ids + [EOT]
        captured.clear()
        with torch.no_grad():
            model(input_ids=torch.tensor([ids]))
        hidden_last = [c[0, -1].double().tolist() for c in captured]
        final = captured[-1][0, -1].double()
        rows.append({
            "text": text,
            "token_ids": ids,
            "hidden_last": hidden_last,
            "embedding": (final / final.norm()).tolist(),
        })
    out = {
        "generator": {
            "script": "scripts/make_golden.py",
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "dtype": "float32",
            "attn_implementation": "eager",
            "model_sha256": sha256(os.path.join(args.model, "model.safetensors")),
        },
        "rows": rows,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {args.out}: {len(rows)} rows, transformers {transformers.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
