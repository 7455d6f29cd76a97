#!/usr/bin/python3
"""The serving sweep's figures from `qwen3emb loadgen --csv` (one or more CSVs, one line each).

Draws, one PNG each, into --out (default docs/results/):
  PREFIX_tokens_per_s.png   input tokens/s served vs concurrency (the analysis: ~45,000 at saturation, SGLang, H100)
  PREFIX_latency.png        per-request latency vs concurrency: p50 (line), p90 (dashed), p99 (dotted)
With --bench BENCH_CSV (`qwen3emb bench --csv` of the same model and backend), bench's tokens/s at the same
sequence length is drawn dashed against the batch size: the gap between the two lines is what HTTP, JSON and
the queue cost. With --analysis, the analysis's SGLang measurements are marked. Only levels with an ok response
are drawn.

Debian's python3 with python3-matplotlib:
    /usr/bin/python3 scripts/plot_loadgen.py loadgen_8b.csv --bench bench_8b.csv --analysis --prefix h200_serve_8b
"""
import argparse
import csv
import os
import sys


def read_rows(path, tool, required):
    """The rows of a CSV written by `tool`, numbers left as strings; SystemExit naming the file when it is not."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise SystemExit("error: cannot read %s: %s" % (path, e.strerror))
    if not rows or any(col not in rows[0] for col in required):
        raise SystemExit("error: %s is not a %s CSV (no %s columns)" % (path, tool, "/".join(required)))
    return rows


def read_levels(path):
    """{tokens: [levels sorted by concurrency]} of a loadgen CSV, levels with at least one ok response."""
    groups = {}
    for r in read_rows(path, "qwen3emb loadgen", ("concurrency", "input_tokens_per_s", "ok")):
        if int(r["ok"]) == 0:
            continue
        for k in ("concurrency", "tokens", "input_tokens_per_s", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms"):
            r[k] = float(r[k])
        groups.setdefault(int(r["tokens"]), []).append(r)
    if not groups:
        raise SystemExit("error: %s has no level with an ok response" % path)
    return {t: sorted(groups[t], key=lambda r: r["concurrency"]) for t in sorted(groups)}


def read_bench(path):
    """{seq: [(batch, tokens_per_s)]} of a bench CSV's ok cells."""
    out = {}
    for r in read_rows(path, "qwen3emb bench", ("status", "seq", "batch", "tokens_per_s")):
        if r["status"] == "ok":
            out.setdefault(int(r["seq"]), []).append((float(r["batch"]), float(r["tokens_per_s"])))
    return {s: sorted(v) for s, v in out.items()}


def concurrency_axis(ax, xs):
    xs = sorted(set(xs))
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(int(x)) for x in xs])
    ax.set_xlabel("concurrent requests (closed-loop clients; bench: batch size)")
    ax.grid(True, which="both", alpha=0.3)


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", nargs="+", help="qwen3emb loadgen --csv output(s)")
    ap.add_argument("--bench", help="qwen3emb bench --csv output of the same model and backend")
    ap.add_argument("--out", default=os.path.join(root, "docs", "results"), help="folder for the PNGs")
    ap.add_argument("--prefix", default="serve", help="file name prefix (default: serve)")
    ap.add_argument("--analysis", action="store_true", help="mark the analysis's SGLang / H100 / 8B measurements")
    args = ap.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(path, read_levels(path)) for path in args.csv]
    bench = read_bench(args.bench) if args.bench else {}
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, "%s_%s.png" % (args.prefix, name))
    xs = [r["concurrency"] for _, g in runs for levels in g.values() for r in levels] + ([4, 64] if args.analysis else [])

    fig, ax = plt.subplots(figsize=(8, 5))
    for path, groups in runs:
        for tokens, levels in groups.items():
            name = "%s, %d tokens" % (levels[0]["model"], tokens) if len(runs) > 1 else "%d tokens" % tokens
            line, = ax.plot([r["concurrency"] for r in levels], [r["input_tokens_per_s"] for r in levels],
                            marker="o", label="served: " + name)
            if tokens in bench:
                ax.plot([b for b, _ in bench[tokens]], [t for _, t in bench[tokens]], linestyle="--", marker="x",
                        color=line.get_color(), label="bench (no HTTP): %d tokens" % tokens)
                xs += [b for b, _ in bench[tokens]]
    if args.analysis:
        for x, y, text in [(64, 45000, "analysis: ~45,000 saturation"), (4, 33488, "analysis: 33,488 (4 x 1040)")]:
            ax.plot([x], [y], marker="*", markersize=14, color="black", linestyle="none")
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(8, 6), fontsize=8)
    concurrency_axis(ax, xs)
    ax.set_ylabel("input tokens/s")
    ax.set_title("Served tokens per second vs concurrency\n%s" % runs[0][1][min(runs[0][1])][0]["url"], fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out("tokens_per_s"), dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for path, groups in runs:
        for tokens, levels in groups.items():
            cs = [r["concurrency"] for r in levels]
            line, = ax.plot(cs, [r["latency_p50_ms"] for r in levels], marker="o", label="%d tokens" % tokens)
            ax.plot(cs, [r["latency_p90_ms"] for r in levels], linestyle="--", color=line.get_color(), alpha=0.7)
            ax.plot(cs, [r["latency_p99_ms"] for r in levels], linestyle=":", color=line.get_color(), alpha=0.7)
    concurrency_axis(ax, [r["concurrency"] for _, g in runs for levels in g.values() for r in levels])
    ax.set_yscale("log")
    ax.set_ylabel("latency per request, ms (p50; dashed p90, dotted p99)")
    ax.set_title("Per-request latency vs concurrency (HTTP round trip, queue wait included)", fontsize=10)
    ax.legend(title="input length", fontsize=8)
    fig.tight_layout()
    fig.savefig(out("latency"), dpi=120)
    plt.close(fig)
    print(out("tokens_per_s"))
    print(out("latency"))


if __name__ == "__main__":
    sys.exit(main())
