#!/usr/bin/python3
"""The analysis's figures from `qwen3emb bench --csv` (and scripts/bench_pytorch.py --csv for the peer).

Draws, one PNG each, into --out (default docs/results/):
  PREFIX_embeddings_per_s.png   embeddings/s vs batch size, one line per sequence length
  PREFIX_tokens_per_s.png       tokens/s vs batch size (the analysis: saturates near 45,000 on an H100)
  PREFIX_latency.png            per-request latency vs batch size: p50 (line) and p95 (dashed)
  PREFIX_cost.png               $ per million tokens vs batch size, at the CSV's $/hour
  PREFIX_vs_peer.png            with --peer: tokens/s of this project (solid) and the peer (dashed), and their
                                ratio cell by cell
With --analysis, the analysis's own measurements (SGLang, Qwen3-Embedding-8B, one H100) are drawn as markers
where they belong: 25.3 embeddings/s at 1024 tokens batch 1, 32.2 at 4 x 1040, about 45,000 tokens/s at
saturation, $0.0166 per million tokens at 4 x 1040. Only cells with status "ok" are drawn.

Debian's python3 with python3-matplotlib:
    /usr/bin/python3 scripts/plot_bench.py bench_cuda_opt_8b.csv --peer bench_pytorch_8b.csv --analysis \
        --prefix h100_8b --out docs/results/
"""
import argparse
import csv
import os
import sys

NUMERIC = ("seq", "batch", "tokens", "embeddings_per_s", "tokens_per_s", "latency_p50_ms", "latency_p95_ms",
           "achieved_tflops", "fraction_of_peak", "usd_per_hour", "usd_per_million_tokens")


def read_cells(path):
    """The rows of a bench CSV with status ok, numbers parsed; SystemExit naming the file when it is not one."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        raise SystemExit("error: cannot read %s: %s" % (path, e.strerror))
    if not rows or "status" not in rows[0] or "tokens_per_s" not in rows[0]:
        raise SystemExit("error: %s is not a bench CSV (no status/tokens_per_s columns)" % path)
    cells = []
    for r in rows:
        if r["status"] != "ok":
            continue
        for k in NUMERIC:
            r[k] = float(r[k]) if r.get(k) not in (None, "") else None
        cells.append(r)
    if not cells:
        raise SystemExit("error: %s has no cell with status ok" % path)
    return cells


def by_seq(cells):
    """{seq: [cells sorted by batch]}, sequence lengths ascending."""
    groups = {}
    for c in cells:
        groups.setdefault(int(c["seq"]), []).append(c)
    return {s: sorted(groups[s], key=lambda c: c["batch"]) for s in sorted(groups)}


def label_of(cells):
    c = cells[0]
    return "%s %s, %s, %s" % (c["implementation"], c["backend"], c["config"], c["device"])


def batch_axis(ax, cells):
    batches = sorted({int(c["batch"]) for c in cells})
    ax.set_xscale("log", base=2)
    ax.set_xticks(batches)
    ax.set_xticklabels([str(b) for b in batches])
    ax.set_xlabel("batch size (concurrent requests)")
    ax.grid(True, which="both", alpha=0.3)


def line_plot(plt, cells, key, ylabel, title, path, analysis_marks=(), logy=False, p95=False):
    fig, ax = plt.subplots(figsize=(8, 5))
    for seq, group in by_seq(cells).items():
        xs = [c["batch"] for c in group]
        line, = ax.plot(xs, [c[key] for c in group], marker="o", label="%d tokens" % seq)
        if p95:
            ax.plot(xs, [c["latency_p95_ms"] for c in group], linestyle="--", color=line.get_color(), alpha=0.7)
    for x, y, text in analysis_marks:
        ax.plot([x], [y], marker="*", markersize=14, color="black", linestyle="none")
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(8, 6), fontsize=8)
    batch_axis(ax, cells)
    if logy:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title + "\n" + label_of(cells), fontsize=10)
    ax.legend(title="sequence length" + (" (dashed: p95)" if p95 else ""), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def peer_plot(plt, ours, peer, path):
    fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(13, 5))
    peer_cells = {(c["seq"], c["batch"]): c for c in peer}
    for seq, group in by_seq(ours).items():
        line, = ax.plot([c["batch"] for c in group], [c["tokens_per_s"] for c in group], marker="o",
                        label="%d tokens" % seq)
        pg = by_seq(peer).get(seq, [])
        if pg:
            ax.plot([c["batch"] for c in pg], [c["tokens_per_s"] for c in pg], marker="x", linestyle="--",
                    color=line.get_color())
        both = [c for c in group if (c["seq"], c["batch"]) in peer_cells]
        if both:
            ax_ratio.plot([c["batch"] for c in both],
                          [c["tokens_per_s"] / peer_cells[(c["seq"], c["batch"])]["tokens_per_s"] for c in both],
                          marker="o", color=line.get_color(), label="%d tokens" % seq)
    batch_axis(ax, ours + peer)
    ax.set_ylabel("tokens/s")
    ax.set_title("tokens/s: this project (solid) vs peer (dashed)\nours: %s\npeer: %s"
                 % (label_of(ours), label_of(peer)), fontsize=9)
    ax.legend(title="sequence length", fontsize=8)
    batch_axis(ax_ratio, ours)
    ax_ratio.axhline(1.0, color="black", linewidth=1)
    ax_ratio.axhline(1.3, color="gray", linewidth=1, linestyle=":")
    ax_ratio.set_ylabel("tokens/s ratio, this project / peer")
    ax_ratio.set_title("ratio cell by cell (dotted: the issue's 1.3x goal)", fontsize=9)
    ax_ratio.legend(title="sequence length", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("csv", help="qwen3emb bench --csv output")
    ap.add_argument("--peer", help="scripts/bench_pytorch.py --csv output, compared cell by cell")
    ap.add_argument("--out", default=os.path.join(root, "docs", "results"), help="folder for the PNGs")
    ap.add_argument("--prefix", default="bench", help="file name prefix (default: bench)")
    ap.add_argument("--analysis", action="store_true",
                    help="mark the analysis's H100 / Qwen3-Embedding-8B measurements (SGLang)")
    args = ap.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours = read_cells(args.csv)
    peer = read_cells(args.peer) if args.peer else None
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, "%s_%s.png" % (args.prefix, name))
    a = args.analysis
    written = [
        line_plot(plt, ours, "embeddings_per_s", "embeddings/s", "Embeddings per second vs batch size",
                  out("embeddings_per_s"),
                  [(1, 25.3, "analysis: 25.3 (1024 tok)"), (4, 32.2, "analysis: 32.2 (4 x 1040)")] if a else ()),
        line_plot(plt, ours, "tokens_per_s", "tokens/s", "Tokens per second vs batch size", out("tokens_per_s"),
                  [(64, 45000, "analysis: ~45,000 saturation"), (4, 33488, "analysis: 33,488 (4 x 1040)")]
                  if a else ()),
        line_plot(plt, ours, "latency_p50_ms", "latency per request, ms (p50; dashed p95)",
                  "Per-request latency vs batch size (a request waits for its whole batch)", out("latency"),
                  logy=True, p95=True),
        line_plot(plt, ours, "usd_per_million_tokens",
                  "$ per million tokens at $%.2f/hour, full use" % ours[0]["usd_per_hour"],
                  "Cost per million tokens vs batch size", out("cost"),
                  [(4, 0.0166, "analysis: $0.0166 (4 x 1040, $2/h)")] if a else (), logy=True),
    ]
    if peer:
        written.append(peer_plot(plt, ours, peer, out("vs_peer")))
    for path in written:
        print(path)


if __name__ == "__main__":
    sys.exit(main())
