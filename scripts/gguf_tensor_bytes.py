#!/usr/bin/env python3
"""Compares the tensor data of two GGUF files, tensor by tensor: same type and the same bytes? (No numpy needed.)
   scripts/gguf_tensor_bytes.py A.gguf B.gguf
Used by scripts/gguf_peer_llamacpp.sh to ask whether qwen3emb's quantiser writes the bytes llama-quantize writes."""
import struct
import sys

# ggml type id -> (name, values per block, bytes per block), for the types these files hold
TYPES = {0: ("F32", 1, 4), 1: ("F16", 1, 2), 8: ("Q8_0", 32, 34), 12: ("Q4_K", 256, 144), 14: ("Q6_K", 256, 210),
         30: ("BF16", 1, 2)}
SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}  # metadata value type -> bytes


def read_tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8", "replace")
        pos += n
        return s

    def value(t):
        nonlocal pos
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value(et) for _ in range(n)]
        v = data[pos:pos + SCALAR[t]]
        pos += SCALAR[t]
        return v

    if data[:4] != b"GGUF":
        sys.exit(f"{path}: not a GGUF file")
    pos = 4
    take("I")  # version
    n_tensors, n_kv = take("Q"), take("Q")
    alignment = 32
    for _ in range(n_kv):
        key, t = string(), take("I")
        v = value(t)
        if key == "general.alignment":
            alignment = struct.unpack("<I", v)[0]
    infos = []
    for _ in range(n_tensors):
        name, nd = string(), take("I")
        dims = [take("Q") for _ in range(nd)]
        t, off = take("I"), take("Q")
        infos.append((name, dims, t, off))
    start = (pos + alignment - 1) // alignment * alignment
    tensors = {}
    for name, dims, t, off in infos:
        tname, per_block, block_bytes = TYPES[t]
        n = 1
        for d in dims:
            n *= d
        size = n // per_block * block_bytes
        tensors[name] = (tname, data[start + off:start + off + size])
    return tensors


a, b = read_tensors(sys.argv[1]), read_tensors(sys.argv[2])
same = [n for n in a if n in b and a[n] == b[n]]
differ = [f"{n} ({a[n][0]} / {b[n][0]})" for n in a if n in b and a[n] != b[n]]
only = sorted(set(a) ^ set(b))
print(f"{len(same)} of {len(a)} tensors identical in type and bytes; {len(differ)} differ"
      + (": " + ", ".join(differ[:6]) + (" ..." if len(differ) > 6 else "") if differ else "")
      + (f"; in one file only: {', '.join(only)}" if only else ""))
