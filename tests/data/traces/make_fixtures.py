#!/usr/bin/env python3
"""Writes the generated viewer fixtures of this folder (the small hand-written ones are committed as they are).

  forward_gpu.json  a GPU forward pass shaped like our profiler's CUDA traces (profiler/chrome_json.cpp):
                    host ranges (nvtx) > cudaLaunchKernel (runtime) on the host thread, kernels on two GPU
                    streams with grid/block/registers args, flows from each launch to its kernel, a memcpy,
                    a cudaDeviceSynchronize, 4 layers. Deterministic: no randomness, integer arithmetic only.
  forward_gpu_opt.json  the same pass "optimised" (shorter gemm and attention kernels): compare mode's pair.
  every_phase.json.gz   gzip of every_phase.json.
  corrupt.json.gz       the first half of every_phase.json.gz (a truncated gzip stream).

tiny_cpu.json is a real trace of the tiny model on the CPU backend, written by
  build/apps/qwen3emb trace --backend cpu --seq 64 --warmup 2 --passes 1 -o tests/data/traces/tiny_cpu.json
Run from anywhere: python3 tests/data/traces/make_fixtures.py
"""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

OPS = [  # block, op, kernel, category, GPU time in ns (naive), speed-up of the optimised version (x100)
    ("attention", "input_norm", "rms_norm_f32", "norm", 9000, 100),
    ("attention", "q_proj", "gemm_naive_f32", "gemm", 61000, 350),
    ("attention", "k_proj", "gemm_naive_f32", "gemm", 23000, 330),
    ("attention", "v_proj", "gemm_naive_f32", "gemm", 23000, 330),
    ("attention", "qk_norm", "rms_norm_f32", "norm", 7000, 100),
    ("attention", "rope", "apply_rope_f32", "elementwise", 8000, 110),
    ("attention", "attention", "attention_naive_f32", "attention", 95000, 420),
    ("attention", "o_proj", "gemm_naive_f32", "gemm", 58000, 350),
    ("attention", "residual", "add_inplace_f32", "elementwise", 5000, 100),
    ("mlp", "post_norm", "rms_norm_f32", "norm", 9000, 100),
    ("mlp", "gate_proj", "gemm_naive_f32", "gemm", 88000, 360),
    ("mlp", "up_proj", "gemm_naive_f32", "gemm", 88000, 360),
    ("mlp", "silu_mul", "silu_mul_f32", "elementwise", 14000, 120),
    ("mlp", "down_proj", "gemm_naive_f32", "gemm", 86000, 360),
    ("mlp", "residual", "add_inplace_f32", "elementwise", 5000, 100),
]
LAYERS = 4


def us(ns):
    """ns -> microseconds with three decimals, as the profiler writes them."""
    return float("%d.%03d" % (ns // 1000, ns % 1000))


def gpu_trace(optimised):
    ev = []
    host_pid, gpu_pid, host_tid = 4242, 1000, 4242
    ev += [
        {"ph": "M", "name": "process_name", "pid": host_pid, "args": {"name": "qwen3emb (host)"}},
        {"ph": "M", "name": "process_sort_index", "pid": host_pid, "args": {"sort_index": 1}},
        {"ph": "M", "name": "thread_name", "pid": host_pid, "tid": host_tid, "args": {"name": "main thread"}},
        {"ph": "M", "name": "process_name", "pid": gpu_pid, "args": {"name": "GPU 0: NVIDIA H100 80GB HBM3"}},
        {"ph": "M", "name": "process_sort_index", "pid": gpu_pid, "args": {"sort_index": 2}},
        {"ph": "M", "name": "thread_name", "pid": gpu_pid, "tid": 7, "args": {"name": "stream 7"}},
        {"ph": "M", "name": "thread_name", "pid": gpu_pid, "tid": 13, "args": {"name": "stream 13 (copies)"}},
    ]
    host, gpu, corr = 1_000_000, 0, 100
    name = "cuda_opt" if optimised else "cuda_naive"

    def x(pid, tid, n, cat, ts, dur, args=None):
        e = {"ph": "X", "name": n, "cat": cat, "pid": pid, "tid": tid, "ts": us(ts), "dur": us(dur)}
        if args:
            e["args"] = args
        ev.append(e)

    def launch(kernel, cat, gpu_ns, grid, block, regs, smem, stream=7, copy_bytes=None):
        nonlocal host, gpu, corr
        t = host + 1200
        dur = 3400 + (corr * 37) % 900
        api = "cudaMemcpyAsync" if copy_bytes else "cudaLaunchKernel"
        x(host_pid, host_tid, api, "runtime", t, dur, {"correlation": corr})
        start = max(gpu + 1800, t + 4500)
        args = {"correlation": corr, "stream": stream, "device": 0}
        if copy_bytes:
            args["bytes"] = copy_bytes
            args["kind"] = "HtoD"
        else:
            args.update({"grid": grid, "block": block, "registers": regs, "shared_memory": smem})
        x(gpu_pid, stream, kernel, cat, start, gpu_ns, args)
        ev.append({"ph": "s", "id": corr, "name": "launch", "cat": "flow", "pid": host_pid, "tid": host_tid, "ts": us(t)})
        ev.append({"ph": "f", "bp": "e", "id": corr, "name": "launch", "cat": "flow", "pid": gpu_pid, "tid": stream,
                   "ts": us(start)})
        gpu = start + gpu_ns
        host = t + dur + 300
        corr += 1

    fwd = host
    launch("memcpy HtoD", "memcpy", 21000, None, None, None, None, stream=13, copy_bytes=4 * 64 * 1024)
    for layer in range(LAYERS):
        l0 = host
        for block in ("attention", "mlp"):
            b0 = host
            for blk, op, kernel, cat, ns, speedup in OPS:
                if blk != block:
                    continue
                o0 = host
                k = kernel.replace("naive_f32", "bf16_tiled") if optimised else kernel
                g = ns * 100 // speedup if optimised else ns
                g += (layer * 131 + len(op) * 17) % 2000
                grid = [64 if cat == "gemm" else 128, 8 if cat == "gemm" else 1, 1]
                launch(k, cat, g, grid, [256, 1, 1], 96 if cat == "gemm" else 32, 16384 if cat == "gemm" else 0)
                host += 600
                x(host_pid, host_tid, "layer %d / %s / %s" % (layer, block, op), "nvtx", o0, host - o0)
            x(host_pid, host_tid, "layer %d / %s" % (layer, block), "nvtx", b0, host - b0)
        x(host_pid, host_tid, "layer %d" % layer, "nvtx", l0, host - l0)
    sync0 = host + 500
    host = max(gpu, sync0) + 2000
    x(host_pid, host_tid, "cudaDeviceSynchronize", "sync", sync0, host - sync0)
    x(host_pid, host_tid, "forward", "nvtx", fwd, host - fwd)
    return {"traceEvents": ev, "displayTimeUnit": "ns",
            "otherData": {"backend": name, "device": "NVIDIA H100 80GB HBM3 (fixture, not measured)",
                          "model": "tiny-qwen3, 4 layers", "batch": "1 x 64 tokens"}}


def write(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        # One event per line: readable diffs.
        f.write('{"traceEvents":[\n')
        f.write(",\n".join(json.dumps(e, separators=(",", ":")) for e in obj["traceEvents"]))
        rest = {k: v for k, v in obj.items() if k != "traceEvents"}
        f.write("\n]," + json.dumps(rest, separators=(",", ":"))[1:] + "\n")


write("forward_gpu.json", gpu_trace(False))
write("forward_gpu_opt.json", gpu_trace(True))
with open(os.path.join(HERE, "every_phase.json"), "rb") as f:
    data = f.read()
with gzip.GzipFile(os.path.join(HERE, "every_phase.json.gz"), "wb", mtime=0) as f:
    f.write(data)
# A gzip stream cut in half: the loader must say "corrupt gzip data", not crash or hang.
with open(os.path.join(HERE, "every_phase.json.gz"), "rb") as f:
    gz = f.read()
with open(os.path.join(HERE, "corrupt.json.gz"), "wb") as f:
    f.write(gz[: len(gz) // 2])
