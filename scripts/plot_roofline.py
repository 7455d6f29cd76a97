#!/usr/bin/python3
"""The roofline of an H100 and an H200, with the forward pass's ops placed at their arithmetic intensity.

One panel per model (0.6B and 8B shapes, core/config.cpp `ModelConfig::preset`), one sequence of --seq tokens
(default 1024, the analysis's figure). Each op of a layer is a point at x = its arithmetic intensity (FLOPs per
byte it must move to or from memory) and y = the most the H100 could run it at, min(R, BW * x): on the roof.

The FLOPs are this project's exact count, the formulas of core/flops.h, op by op (the numbers
`qwen3emb flops --config C --seq S` prints; pass --qwen3emb PATH to check every one against that program).
The bytes are the least traffic of each op run on its own, with bf16 (2-byte) activations and weights, as
cuda_opt stores them:
  GEMM  y = x W^T, x [T, in], W [out, in]      2 * (T*in + out*in + T*out)   (x, W read once; y written once)
  attention, flash-style (scores in registers) 2 * (2*T*NH*D + 2*T*NKV*D)   (q, k, v read once; out written once)
  attention, scores materialised (cuda_naive)  the above + 16*NH*S^2: fp32 scores written, read and rewritten
                                               by the softmax, read again by P V (full S x S square stored)
  RMSNorm over n values, `rows` rows           2 * (2*rows*n + n)           (x read, y written, weight read)
  RoPE (q or k)                                2 * 2*T*heads*D              (cos/sin table left out: shared)
  silu_mul                                     2 * 3*T*I                    (g, u read, y written)
  residual add x += y                          2 * 3*T*H
The whole pass (black stars): exact causal FLOPs over the weight bytes it reads, as `qwen3emb flops` prints in its
"arithmetic intensity F / W" row, at several token counts (it grows about one FLOP per byte per token).

Roofs (the figures docs/flops.md and docs/results/ use): 989 TFLOP/s bf16 on paper (dotted), 750 TFLOP/s as
measured for large bf16 GEMMs on an H100 (the analysis; cuBLAS 752 at 4096^3 in docs/results/gemm-ladder.md
run 1; 757-767 on the H200, docs/results/h200.md); memory 3.3 TB/s (H100 SXM) and 4.8 TB/s (H200).

Deterministic: fixed figure size and dpi, no dates, no software tag in the PNG. Debian's python3 with
python3-matplotlib:
    /usr/bin/python3 scripts/plot_roofline.py --out docs/roofline.png
    /usr/bin/python3 scripts/plot_roofline.py --out docs/roofline.png --qwen3emb build/apps/qwen3emb   # + check
It also prints the table of every point (op, FLOPs per layer, bytes per layer, intensity, bound) on stdout.
"""
import argparse
import re
import subprocess
import sys

# core/config.cpp, ModelConfig::preset: L layers, H hidden, I intermediate, NH/NKV heads, D head_dim, V vocabulary.
PRESETS = {
    "0.6b": dict(L=28, H=1024, I=3072, NH=16, NKV=8, D=128, V=151669),
    "8b": dict(L=36, H=4096, I=12288, NH=32, NKV=8, D=128, V=151665),
}

PEAK_PAPER = 989.0      # TFLOP/s, bf16 dense, H100 SXM on paper (the analysis)
PEAK_MEASURED = 750.0   # TFLOP/s, large bf16 GEMMs measured (the analysis; docs/flops.md)
BW_H100 = 3.3           # TB/s (the analysis; docs/flops.md)
BW_H200 = 4.8           # TB/s (docs/results/h200.md)
WHOLE_PASS_TOKENS = (1, 16, 64, 260, 1024, 4096)


def num_parameters(c):
    """core/config.cpp ModelConfig::num_parameters: every weight, the embedding table whole, no LM head."""
    H, I, D, q, kv = c["H"], c["I"], c["D"], c["NH"] * c["D"], c["NKV"] * c["D"]
    attn = H * q + 2 * H * kv + q * H
    return c["V"] * H + c["L"] * (attn + 3 * H * I + 2 * H + 2 * D) + H


def ops(c, S):
    """[(name, kind, flops per layer, bytes per layer)] for one sequence of S tokens (T = S)."""
    T, H, I, NH, NKV, D = S, c["H"], c["I"], c["NH"], c["NKV"], c["D"]
    q, kv = NH * D, NKV * D
    causal = S * (S + 1) / 2  # scores per head that a causal kernel computes

    def gemm(inp, out):
        return 2.0 * T * inp * out, 2.0 * (T * inp + out * inp + T * out)

    def norm(rows, n):
        return rows * (4.0 * n + 4.0), 2.0 * (2 * rows * n + n)

    attn_flops = (2 + 2) * NH * D * causal + 6 * NH * causal  # Q K^T + P V + softmax, causal (core/flops.h)
    attn_bytes = 2.0 * (2 * T * q + 2 * T * kv)
    rows = [
        ("q_proj", "gemm", *gemm(H, q)),
        ("k_proj, v_proj", "gemm", *gemm(H, kv)),
        ("o_proj", "gemm", *gemm(q, H)),
        ("gate_proj, up_proj", "gemm", *gemm(H, I)),
        ("down_proj", "gemm", *gemm(I, H)),
        ("attention (flash)", "attention", attn_flops, attn_bytes),
        ("attention (scores in memory)", "attention_naive", attn_flops, attn_bytes + 16.0 * NH * S * S),
        ("input_norm, post_norm", "elementwise", *norm(T, H)),
        ("q_norm", "elementwise", *norm(T * NH, D)),
        ("q_rope", "elementwise", 3.0 * T * q, 2.0 * 2 * T * q),
        ("silu_mul", "elementwise", 4.0 * T * I, 2.0 * 3 * T * I),
        ("residual", "elementwise", 1.0 * T * H, 2.0 * 3 * T * H),
    ]
    return rows


def whole_pass(c, T):
    """(exact causal FLOPs of the pass, weight bytes it reads), as core/flops.cpp exact_flops and
    weight_bytes_read compute them, for one sequence of T tokens."""
    L, H, I, NH, NKV, D = c["L"], c["H"], c["I"], c["NH"], c["NKV"], c["D"]
    q, kv, causal = NH * D, NKV * D, T * (T + 1) / 2
    per_layer = (2.0 * T * H * (q + 2 * kv) + 2.0 * T * q * H + 6.0 * T * H * I  # seven weight GEMMs
                 + 4.0 * NH * D * causal + 6.0 * NH * causal                      # attention + softmax
                 + 2 * T * (4.0 * H + 4) + T * NH * (4.0 * D + 4) + T * NKV * (4.0 * D + 4)  # norms
                 + 3.0 * T * (q + kv) + 4.0 * T * I + 2.0 * T * H)                # RoPE, silu_mul, residuals
    flops = L * per_layer + 3.0 * T * (D // 2) + T * (4.0 * H + 4) + (3.0 * H + 2)  # rope table, final norm, pool
    weights = (num_parameters(c) - c["V"] * H + min(T, c["V"]) * H) * 2.0
    return flops, weights


def attainable(ai, bw):
    return min(PEAK_MEASURED, bw * ai)


# ---- optional check against the program ------------------------------------------------------------------------

SI = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
FLOPS_ROWS = {  # our point -> the `qwen3emb flops` op rows whose per-pass sum / L is its per-layer FLOPs
    "q_proj": ["q_proj"], "k_proj, v_proj": ["k_proj"], "o_proj": ["o_proj"], "gate_proj, up_proj": ["gate_proj"],
    "down_proj": ["down_proj"], "attention (flash)": ["attention_scores", "attention_values", "softmax"],
    "attention (scores in memory)": ["attention_scores", "attention_values", "softmax"],
    "input_norm, post_norm": ["input_norm"], "q_norm": ["q_norm"], "q_rope": ["q_rope"], "silu_mul": ["silu_mul"],
    "residual": ["residual_attn"],
}


def check_against_program(exe, name, c, S):
    """Runs `qwen3emb flops --config NAME --seq S` and compares its shapes, op rows and the whole pass's
    intensity with ours (its numbers have 4 significant digits). Returns a list of mismatches."""
    out = subprocess.run([exe, "flops", "--config", name, "--seq", str(S), "--tflops", str(PEAK_MEASURED),
                          "--bandwidth", str(BW_H100)], capture_output=True, text=True, check=True).stdout
    bad = []
    shape = re.search(r"L=(\d+) H=(\d+) I=(\d+) NH=(\d+) NKV=(\d+) D=(\d+) V=(\d+)", out)
    if [int(x) for x in shape.groups()] != [c[k] for k in ("L", "H", "I", "NH", "NKV", "D", "V")]:
        bad.append(f"{name}: shapes differ: program {shape.group(0)}")
    causal = {}
    for m in re.finditer(r"^  (\w+)\s+([\d.]+) ([kMGTP]?)\s+([\d.]+) ([kMGTP]?)", out, re.M):
        causal[m.group(1)] = float(m.group(2)) * SI[m.group(3)]
    for op, _, flops, _ in ops(c, S):
        theirs = sum(causal[r] for r in FLOPS_ROWS[op]) / c["L"]
        if abs(theirs - flops) > 6e-4 * flops:
            bad.append(f"{name} {op}: ours {flops:.4g} FLOP per layer, qwen3emb flops {theirs:.4g}")
    m = re.search(r"arithmetic intensity  F / W\s+\d+ FLOP/B\s+(\d+) FLOP/B", out)
    f, w = whole_pass(c, S)
    if m is None or abs(int(m.group(1)) - f / w) > 0.5:
        bad.append(f"{name} whole pass: ours {f / w:.1f} FLOP/B, qwen3emb flops {m.group(1) if m else '?'}")
    return bad


# ---- drawing ---------------------------------------------------------------------------------------------------

STYLE = {  # kind -> (marker, colour, legend label)
    "gemm": ("o", "#d62728", "weight GEMMs"),
    "attention": ("^", "#1f77b4", "attention, flash-style"),
    "attention_naive": ("v", "#17becf", "attention, S×S scores in memory"),
    "elementwise": ("s", "#2ca02c", "norms, RoPE, SwiGLU, residual (each alone)"),
}


def draw(out_path, S):
    try:
        import matplotlib
    except ImportError:
        sys.exit("plot_roofline: no matplotlib in this python; run it with Debian's /usr/bin/python3 "
                 "(package python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 8, "font.family": "DejaVu Sans"})
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2), dpi=110, sharey=True)
    xs = [10 ** (i / 50) for i in range(-50, 5 * 50 + 1)]  # 0.1 .. 1e5 FLOP/B
    for ax, (name, c) in zip(axes, PRESETS.items()):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.1, 1e5)
        ax.set_ylim(0.2, 2500)
        ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
        ax.plot(xs, [min(PEAK_MEASURED, BW_H100 * x) for x in xs], color="black", linewidth=1.6,
                label=f"H100: {PEAK_MEASURED:.0f} TFLOP/s measured, {BW_H100} TB/s")
        ax.plot(xs, [min(PEAK_MEASURED, BW_H200 * x) for x in xs], color="#7f7f7f", linewidth=1.2, linestyle="--",
                label=f"H200: same tensor cores, {BW_H200} TB/s")
        ax.axhline(PEAK_PAPER, color="black", linewidth=0.8, linestyle=":",
                   label=f"{PEAK_PAPER:.0f} TFLOP/s bf16 on paper")
        for bw, col in ((BW_H100, "black"), (BW_H200, "#7f7f7f")):
            ridge = PEAK_MEASURED / bw
            ax.axvline(ridge, color=col, linewidth=0.5, linestyle=":")
            ax.text(ridge * 0.93, 30 if bw == BW_H100 else 12, f"ridge {ridge:.0f}", color=col, fontsize=7,
                    rotation=90, va="bottom", ha="right")

        seen = set()
        # Labels in two columns, one line per point, with a leader line to it: the points on the flat roof
        # (GEMMs, flash attention) to the right of the T=1024 star, the memory-bound ones under the slope.
        roof_y, slope_y = 330.0, 1.7
        for op, kind, flops, nbytes in sorted(ops(c, S), key=lambda r: -r[2] / r[3]):
            ai = flops / nbytes
            y = attainable(ai, BW_H100)
            marker, colour, label = STYLE[kind]
            ax.plot([ai], [y], marker=marker, color=colour, markersize=7, linestyle="none",
                    markeredgecolor="black", markeredgewidth=0.5, label=None if kind in seen else label)
            seen.add(kind)
            if y >= PEAK_MEASURED:
                tx, ty = 2.5e3, roof_y
                roof_y /= 1.45
            elif ai > 5:
                tx, ty = 60.0, 9.0
            else:
                tx, ty = 12.0, slope_y
                slope_y /= 1.5
            ax.annotate(f"{op}: {ai:.3g} FLOP/B", xy=(ai, y), xytext=(tx, ty), fontsize=6.5, ha="left",
                        va="center", color=colour, arrowprops=dict(arrowstyle="-", color=colour, linewidth=0.5))

        px, py = [], []
        for T in WHOLE_PASS_TOKENS:
            f, w = whole_pass(c, T)
            px.append(f / w)
            py.append(attainable(f / w, BW_H100))
        ax.plot(px, py, marker="*", color="black", markersize=9, linestyle="none",
                label="whole pass: FLOPs / weight bytes, T tokens")
        for x, y, T in zip(px, py, WHOLE_PASS_TOKENS):
            ax.annotate(f"T={T}", xy=(x, y), xytext=(-6, 6), textcoords="offset points", fontsize=6.5, ha="right")

        ax.set_title(f"{name} (L={c['L']} H={c['H']} I={c['I']} NH={c['NH']} NKV={c['NKV']} D={c['D']}), "
                     f"one sequence of {S} tokens", fontsize=9)
        ax.set_xlabel("arithmetic intensity (FLOP per byte moved to or from memory)")
    axes[0].set_ylabel("attainable TFLOP/s = min(peak, bandwidth × intensity)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=7.5, frameon=False)
    fig.suptitle("Roofline of one Qwen3-Embedding layer on an H100 / H200 (bf16; points on the H100 roof); "
                 "scripts/plot_roofline.py", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(out_path, metadata={"Software": None})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="docs/roofline.png", help="PNG to write (default docs/roofline.png)")
    ap.add_argument("--seq", type=int, default=1024, help="tokens of the one sequence (default 1024)")
    ap.add_argument("--qwen3emb", help="a built qwen3emb: check every FLOP count against `qwen3emb flops`")
    a = ap.parse_args()
    if a.seq < 1:
        sys.exit("plot_roofline: --seq must be at least 1")

    print(f"one sequence of {a.seq} tokens; bytes with bf16 activations and weights; bound on an H100 at "
          f"{PEAK_MEASURED:.0f} TFLOP/s and {BW_H100} TB/s (ridge {PEAK_MEASURED / BW_H100:.0f} FLOP/B)")
    print("ops: FLOPs and bytes of one layer; whole pass: FLOPs of all layers and the weight bytes the pass reads")
    print(f"{'config':6} {'op':30} {'GFLOP':>12} {'MB':>10} {'FLOP/B':>9} {'bound TFLOP/s':>14}  bound by")
    for name, c in PRESETS.items():
        for op, _, flops, nbytes in ops(c, a.seq):
            ai = flops / nbytes
            by = "compute" if ai >= PEAK_MEASURED / BW_H100 else "memory"
            print(f"{name:6} {op:30} {flops / 1e9:12.4g} {nbytes / 1e6:10.4g} {ai:9.4g} "
                  f"{attainable(ai, BW_H100):14.4g}  {by}")
        for T in WHOLE_PASS_TOKENS:
            f, w = whole_pass(c, T)
            print(f"{name:6} {'whole pass, T = ' + str(T):30} {f / 1e9:12.4g} {w / 1e6:10.4g} {f / w:9.4g} "
                  f"{attainable(f / w, BW_H100):14.4g}  {'compute' if f / w >= PEAK_MEASURED / BW_H100 else 'memory'}")

    if a.qwen3emb:
        bad = []
        for name, c in PRESETS.items():
            try:
                bad += check_against_program(a.qwen3emb, name, c, a.seq)
            except (OSError, subprocess.CalledProcessError) as e:
                sys.exit(f"plot_roofline: running {a.qwen3emb} flops failed: {e}")
        if bad:
            sys.exit("plot_roofline: the FLOP counts disagree with qwen3emb flops:\n  " + "\n  ".join(bad))
        print(f"checked against {a.qwen3emb} flops: every op's FLOPs and the whole pass's intensity agree")

    draw(a.out, a.seq)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
