#!/usr/bin/python3
"""The kernel breakdown plot: share of GPU time by category, one bar per `qwen3emb trace --summary` CSV.

Reads the category rows (level == "category") of each summary CSV and draws one horizontal stacked bar per
file, labelled with the file name, next to the seed analysis's finding (a matrix-multiplication kernel takes
most of the GPU time of an embedding pass). Debian's python3 with python3-matplotlib:
    /usr/bin/python3 scripts/plot_kernel_breakdown.py trace_opt_8b_800.summary.csv trace_opt_8b_2600.summary.csv \
        --out docs/results/h100_8b_kernel_breakdown.png
"""
import argparse
import csv
import os
import sys

COLORS = {"gemm": "#d62728", "attention": "#1f77b4", "norm": "#2ca02c", "elementwise": "#9467bd",
          "memcpy": "#7f7f7f", "memset": "#bcbd22"}


def shares(path):
    """{category: percent of GPU time} from one summary CSV; SystemExit naming the file when it is not one."""
    try:
        with open(path, newline="") as f:
            rows = [r for r in csv.DictReader(f) if r.get("level") == "category"]
    except OSError as e:
        sys.exit(f"plot_kernel_breakdown: cannot read {path}: {e.strerror}")
    if not rows:
        sys.exit(f"plot_kernel_breakdown: {path} has no category rows (not a `qwen3emb trace --summary` CSV?)")
    return {r["category"]: float(r["share_percent"]) for r in rows}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="+", help="trace summary CSVs (qwen3emb trace --summary)")
    ap.add_argument("--out", required=True, help="PNG to write")
    a = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = [(os.path.basename(p).replace(".summary.csv", ""), shares(p)) for p in a.csv]
    fig, ax = plt.subplots(figsize=(10, 1.2 + 0.7 * len(data)))
    seen = set()
    for y, (label, s) in enumerate(data):
        left = 0.0
        for cat in sorted(s, key=lambda c: -s[c]):
            ax.barh(y, s[cat], left=left, color=COLORS.get(cat, "#17becf"), label=None if cat in seen else cat)
            if s[cat] >= 4:
                ax.text(left + s[cat] / 2, y, f"{cat}\n{s[cat]:.1f}%", ha="center", va="center", fontsize=8,
                        color="white")
            seen.add(cat)
            left += s[cat]
    ax.set_yticks(range(len(data)), [d[0] for d in data])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of GPU time (%)")
    ax.set_title("GPU time by kernel category (seed analysis: a matrix-multiplication kernel takes most of it)",
                 fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(data) < 3 else -0.2), ncol=6, fontsize=8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
