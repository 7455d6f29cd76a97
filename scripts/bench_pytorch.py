#!/usr/bin/env python3
"""The PyTorch peer of `qwen3emb bench`: Hugging Face transformers' Qwen3Model in bf16 with sdpa attention.

Random weights of a released config's shapes (built from a Qwen3Config with the preset's numbers: nothing is
downloaded), the same grid of sequence lengths x batch sizes, the same synthetic token ids (core/batch.h's
synthetic_sequences, re-implemented below bit for bit), the same FLOP count (core/flops.h, attention causal)
and the same CSV columns as `qwen3emb bench --csv`, so that scripts/plot_bench.py can put the two side by side
cell by cell.

Timing, as in qwen3emb bench: per cell, --warmup untimed passes, then --repeats timed ones; each timed pass is
the wall time from the token ids on the host to the normalised embeddings back on the host, with the GPU
synchronised before and after (torch.cuda.synchronize). Every sequence of a batch is one request, its latency
the wall time of its batch. The GPU time of each pass is also recorded with CUDA events (in --json).

Run where torch and transformers are installed (the lent GPU machine has both):
    python3 scripts/bench_pytorch.py --config 8b --csv docs/results/bench_pytorch_8b.csv
    python3 scripts/bench_pytorch.py --config 0.6b --seq 260,1040 --batch 1,4 --repeats 5

The grid, id, FLOP and CSV logic needs neither torch nor numpy (tests/test_bench.cpp imports this file and
checks them against the C++ code); torch and transformers are imported only to run the model.
"""
import argparse
import csv
import gc
import json
import os
import subprocess
import sys
import time

# The config.json numbers of Qwen/Qwen3-Embedding-{0.6B,4B,8B}: core/config.cpp's ModelConfig::preset.
PRESETS = {
    "0.6b": dict(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
                 num_key_value_heads=8, head_dim=128, vocab_size=151669, max_position_embeddings=32768,
                 tie_word_embeddings=True),
    "4b": dict(hidden_size=2560, intermediate_size=9728, num_hidden_layers=36, num_attention_heads=32,
               num_key_value_heads=8, head_dim=128, vocab_size=151665, max_position_embeddings=40960,
               tie_word_embeddings=True),
    "8b": dict(hidden_size=4096, intermediate_size=12288, num_hidden_layers=36, num_attention_heads=32,
               num_key_value_heads=8, head_dim=128, vocab_size=151665, max_position_embeddings=40960,
               tie_word_embeddings=False),
}
for _p in PRESETS.values():
    _p.update(rms_norm_eps=1e-6, rope_theta=1e6)

# The columns of `qwen3emb bench --csv` (apps/cmd_bench.cpp: kCsvColumns), in the same order.
CSV_COLUMNS = [
    "implementation", "backend", "device", "commit", "config",
    "seq", "batch", "tokens", "status", "warmup",
    "repeats", "embeddings_per_s", "tokens_per_s", "latency_p50_ms", "latency_p95_ms",
    "flops_per_batch", "achieved_tflops", "peak_tflops", "fraction_of_peak", "usd_per_hour",
    "usd_per_million_tokens",
]

DEFAULT_SEQ = [260, 520, 1040, 2080, 5200]
DEFAULT_BATCH = [1, 2, 4, 8, 16, 32, 64]
END_OF_TEXT = 151643  # <|endoftext|>, appended to every Qwen3-Embedding input
SYNTHETIC_SEED = 12345  # core/batch.h: synthetic_sequences' default seed

# ---- synthetic token ids: core/rng.h and core/batch.h, bit for bit -------------------------------------------
_MASK = (1 << 64) - 1


def mix64(z):
    """SplitMix64's finaliser (core/rng.h: mix64)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def random_bits(seed, stream, index):
    """64 random bits for element `index` of stream `stream` (core/rng.h: random_bits)."""
    return mix64((mix64(seed ^ ((stream * 0x9E3779B97F4A7C15) & _MASK)) + index) & _MASK)


def synthetic_sequences(lengths, vocab_size, seed=SYNTHETIC_SEED):
    """Token ids of the given lengths (core/batch.h: synthetic_sequences): ordinary ids below 151643, and
    <|endoftext|> last when the vocabulary has it."""
    id_range = min(vocab_size, END_OF_TEXT)
    seqs = []
    for s, length in enumerate(lengths):
        if length < 1:
            raise ValueError("sequence lengths must be at least 1, got %d" % length)
        ids = [random_bits(seed, s, t) % id_range for t in range(length)]
        if vocab_size > END_OF_TEXT:
            ids[-1] = END_OF_TEXT
        seqs.append(ids)
    return seqs


# ---- FLOPs: core/flops.h's exact count, attention causal ------------------------------------------------------
def exact_flops(cfg, seq, batch):
    """FLOPs of one pass over `batch` sequences of `seq` tokens (a multiply-add = 2 FLOPs), attention counted
    causally: the same ops and conventions as core/flops.cpp's exact_flops(...).causal_total()."""
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    NH, NKV, D, L = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["num_hidden_layers"]
    T = seq * batch
    scores = batch * seq * (seq + 1) / 2  # per head
    per_layer = (
        2 * T * H * NH * D + 2 * 2 * T * H * NKV * D + 2 * T * NH * D * H  # q, k, v, o projections
        + 3 * 2 * T * H * I  # gate, up, down
        + 2 * 2 * NH * D * scores + 6 * NH * scores  # Q K^T, P V, softmax
        + 2 * T * (4 * H + 4) + T * NH * (4 * D + 4) + T * NKV * (4 * D + 4)  # input/post norms, q/k norms
        + 3 * T * NH * D + 3 * T * NKV * D  # RoPE on q and k
        + 4 * T * I + 2 * T * H  # silu * up, two residuals
    )
    outside = 3 * T * (D // 2) + T * (4 * H + 4) + batch * (3 * H + 2)  # RoPE table, final norm, pooling
    return float(L * per_layer + outside)


# ---- statistics and rows ------------------------------------------------------------------------------------
def percentile(values, p):
    """Linear interpolation between the closest ranks (numpy's default; apps/cmd_bench.cpp: percentile)."""
    v = sorted(values)
    r = p / 100.0 * (len(v) - 1)
    lo = int(r)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (r - lo) * (v[hi] - v[lo])


def usd_per_million_tokens(usd_per_hour, tokens_per_s):
    """$ per million tokens = usd_per_hour / (tokens_per_s * 3600) * 1e6 (core/flops.h)."""
    return usd_per_hour / (tokens_per_s * 3600.0) * 1e6


def _g(x):
    return "%.6g" % x


def cell_row(info, seq, batch, status, seconds, flops, warmup, repeats, usd_per_hour):
    """One CSV row (a dict over CSV_COLUMNS) for a cell: `seconds` holds the timed passes' wall times; the
    figures are derived exactly as apps/cmd_bench.cpp derives them, and left empty when status is not ok."""
    ok = status == "ok"
    peak = info.get("peak_tflops") or 0.0
    row = {
        "implementation": info["implementation"], "backend": info["backend"], "device": info["device"],
        "commit": info["commit"], "config": info["config"], "seq": seq, "batch": batch, "tokens": seq * batch,
        "status": status, "warmup": warmup, "repeats": repeats, "flops_per_batch": "%.0f" % flops,
        "peak_tflops": _g(peak) if peak > 0 else "", "usd_per_hour": _g(usd_per_hour),
    }
    for k in ("embeddings_per_s", "tokens_per_s", "latency_p50_ms", "latency_p95_ms", "achieved_tflops",
              "fraction_of_peak", "usd_per_million_tokens"):
        row[k] = ""
    if ok:
        total, n = sum(seconds), len(seconds)
        tokens_per_s = n * seq * batch / total
        tflops = flops / (total / n) / 1e12
        row.update({
            "embeddings_per_s": _g(n * batch / total),
            "tokens_per_s": _g(tokens_per_s),
            "latency_p50_ms": _g(percentile(seconds, 50) * 1e3),
            "latency_p95_ms": _g(percentile(seconds, 95) * 1e3),
            "achieved_tflops": _g(tflops),
            "fraction_of_peak": _g(tflops / peak) if peak > 0 else "",
            "usd_per_million_tokens": _g(usd_per_million_tokens(usd_per_hour, tokens_per_s)),
        })
    return row


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow(row)


def parse_int_list(text):
    values = [int(x) for x in text.split(",") if x.strip()]
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("expected positive integers separated by commas, got %r" % text)
    return values


def current_commit():
    """The commit of the tree this script is in ("-dirty" when tracked files differ), or "unknown";
    QWEN3_COMMIT wins when set (as in qwen3emb bench: a tree copied to the GPU machine may not know its commit)."""
    if os.environ.get("QWEN3_COMMIT"):
        return os.environ["QWEN3_COMMIT"]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("-dirty" if status.stdout.strip() else "")


# ---- the model (torch and transformers from here on) ------------------------------------------------------
def build_model(cfg, device, seed):
    import torch
    from transformers import AutoModel, Qwen3Config

    config = Qwen3Config(
        vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"], intermediate_size=cfg["intermediate_size"],
        num_hidden_layers=cfg["num_hidden_layers"], num_attention_heads=cfg["num_attention_heads"],
        num_key_value_heads=cfg["num_key_value_heads"], head_dim=cfg["head_dim"],
        max_position_embeddings=cfg["max_position_embeddings"], rms_norm_eps=cfg["rms_norm_eps"],
        rope_theta=cfg["rope_theta"], tie_word_embeddings=cfg["tie_word_embeddings"], attention_bias=False,
        use_sliding_window=False, use_cache=False)
    torch.manual_seed(seed)
    # Built directly on the GPU in bf16: an 8B model initialised on the host in fp32 would take 30 GB and minutes.
    with torch.device(device):
        model = AutoModel.from_config(config, torch_dtype=torch.bfloat16, attn_implementation="sdpa")
    model = model.to(device=device, dtype=torch.bfloat16).eval()
    if type(model).__name__ != "Qwen3Model":
        raise SystemExit("error: transformers built %s, expected Qwen3Model" % type(model).__name__)
    if getattr(model.config, "_attn_implementation", "sdpa") != "sdpa":
        raise SystemExit("error: attention is %s, expected sdpa" % model.config._attn_implementation)
    return model


def measure_gemm_peak(device, n=4096, warmup=10, iterations=50):
    """The bf16 matmul rate of the GPU, as qwen3emb bench measures it (bench/gemm_peak.h): n^3 GEMMs, CUDA events."""
    import torch

    a = torch.empty(n, n, device=device, dtype=torch.bfloat16).uniform_(-1, 1)
    b = torch.empty(n, n, device=device, dtype=torch.bfloat16).uniform_(-1, 1)
    for _ in range(warmup):
        torch.matmul(a, b)
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iterations):
        torch.matmul(a, b)
    stop.record()
    stop.synchronize()
    return 2.0 * n ** 3 * iterations / (start.elapsed_time(stop) * 1e-3) / 1e12


def run_pass(model, ids_host, device):
    """One request batch, host ids -> host embeddings: (wall seconds, GPU milliseconds from CUDA events)."""
    import torch

    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    start.record()
    with torch.inference_mode():
        ids = ids_host.to(device, non_blocking=False)
        hidden = model(input_ids=ids).last_hidden_state  # [B, S, H]; causal, no padding: all of equal length
        emb = torch.nn.functional.normalize(hidden[:, -1, :].float(), dim=-1)  # last-token pooling, L2
        out = emb.cpu()
    stop.record()
    torch.cuda.synchronize()
    t1 = time.perf_counter()
    assert out.shape == (ids_host.shape[0], hidden.shape[-1])
    return t1 - t0, start.elapsed_time(stop)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", choices=sorted(PRESETS), default="8b")
    ap.add_argument("--seq", type=parse_int_list, default=DEFAULT_SEQ, help="default 260,520,1040,2080,5200")
    ap.add_argument("--batch", type=parse_int_list, default=DEFAULT_BATCH, help="default 1,2,4,8,16,32,64")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peak-tflops", type=float, default=0.0,
                    help="peak for fraction_of_peak (default: a bf16 4096^3 matmul measured in the run)")
    ap.add_argument("--usd-per-hour", type=float, default=2.00)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--csv")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        ap.error("--repeats must be at least 1 and --warmup at least 0")

    import torch
    import transformers

    if not torch.cuda.is_available():
        raise SystemExit("error: bench_pytorch.py needs a CUDA GPU (torch.cuda.is_available() is False)")
    cfg = PRESETS[args.config]
    model = build_model(cfg, args.device, args.seed)
    peak = args.peak_tflops if args.peak_tflops > 0 else measure_gemm_peak(args.device)
    info = {
        "implementation": "pytorch", "backend": "transformers-sdpa-bf16",
        "device": torch.cuda.get_device_name(0), "commit": current_commit(), "config": args.config,
        "peak_tflops": peak,
    }
    print("bench_pytorch: transformers %s, torch %s, on %s; %s random weights, bf16, sdpa; peak %.1f TFLOP/s (%s)"
          % (transformers.__version__, torch.__version__, info["device"], args.config, peak,
             "--peak-tflops" if args.peak_tflops > 0 else "bf16 4096^3 matmul, measured in this run"))
    print("%7s %6s %-14s %10s %11s %10s %10s %9s %7s %10s"
          % ("seq", "batch", "status", "emb/s", "tokens/s", "p50 ms", "p95 ms", "TFLOP/s", "%peak", "$/M tok"))

    rows, cells = [], []
    ids_cache = {}
    total = len(args.seq) * len(args.batch)
    for seq in args.seq:
        for batch in args.batch:
            flops = exact_flops(cfg, seq, batch)
            seconds, gpu_ms, status, detail, oom = [], [], "ok", "", None
            try:
                if seq > cfg["max_position_embeddings"]:
                    status, detail = "invalid", "sequence of %d tokens, more than max_position_embeddings (%d)" % (
                        seq, cfg["max_position_embeddings"])
                else:
                    # the first `batch` sequences of the largest batch: the ids qwen3emb bench feeds
                    if seq not in ids_cache:
                        ids_cache[seq] = synthetic_sequences([seq] * max(args.batch), cfg["vocab_size"])
                    ids_host = torch.tensor(ids_cache[seq][:batch], dtype=torch.long)
                    for i in range(args.warmup + args.repeats):
                        wall, ms = run_pass(model, ids_host, args.device)
                        if i >= args.warmup:
                            seconds.append(wall)
                            gpu_ms.append(ms)
            except torch.cuda.OutOfMemoryError as e:
                oom = str(e).split("\n")[0]
            if oom is not None:  # after the except block, whose traceback kept the pass's tensors alive
                status, detail, seconds, gpu_ms = "out_of_memory", oom, [], []
                gc.collect()
                torch.cuda.empty_cache()
            row = cell_row(info, seq, batch, status, seconds, flops, args.warmup, args.repeats, args.usd_per_hour)
            rows.append(row)
            cells.append({"seq": seq, "batch": batch, "status": status, "detail": detail, "seconds": seconds,
                          "gpu_ms": gpu_ms, "flops_per_batch": flops})
            if status == "ok":
                pct = "%.1f" % (100 * float(row["fraction_of_peak"])) if row["fraction_of_peak"] else "-"
                print("%7d %6d %-14s %10.4g %11.5g %10.4g %10.4g %9.4g %7s %10.4g" % (
                    seq, batch, status, float(row["embeddings_per_s"]), float(row["tokens_per_s"]),
                    float(row["latency_p50_ms"]), float(row["latency_p95_ms"]), float(row["achieved_tflops"]),
                    pct, float(row["usd_per_million_tokens"])), flush=True)
            else:
                print("%7d %6d %-14s %s" % (seq, batch, status, detail), flush=True)
            print("bench_pytorch: %d/%d seq %d x batch %d: %s" % (len(rows), total, seq, batch, status),
                  file=sys.stderr, flush=True)

    if args.csv:
        write_csv(args.csv, rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "tool": "scripts/bench_pytorch.py", "implementation": info["implementation"],
                "backend": info["backend"], "device": info["device"], "commit": info["commit"],
                "config_name": args.config, "config": cfg,
                "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
                "settings": {"seq": args.seq, "batch": args.batch, "warmup": args.warmup, "repeats": args.repeats,
                             "seed": args.seed, "peak_tflops": peak,
                             "peak_source": "--peak-tflops" if args.peak_tflops > 0 else "bf16 4096^3 matmul",
                             "usd_per_hour": args.usd_per_hour,
                             "flops": "exact count (core/flops.h), attention causal; a multiply-add = 2 FLOPs",
                             "latency": "per request = the wall time of its batch"},
                "cells": cells,
            }, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
