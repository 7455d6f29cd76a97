#!/usr/bin/env python3
"""Writes the seed corpora (tests/fuzz/corpus/<target>/) and dictionaries (tests/fuzz/dict/<target>.dict).

Usage: python3 tests/fuzz/make_corpus.py        (rewrites both folders; the output is committed)

Each corpus holds a few valid files and a few interesting ones: every kind of refusal the parser has, numbers at
the edges of int64/uint64/double, and JSON nested a few thousand levels deep. The deep seeds stop below the depth
that overflowed the stack in the earlier probe (~10,000 levels under ASan), so the fuzzer starts next to that edge
and its CopyPart/InsertRepeatedBytes mutations (and the dictionaries' "[[[[" / "{\"a\":{\"a\":") cross it; the
inputs that do cross it are kept in tests/fuzz/findings/<target>/ instead. Deterministic: no randomness.
"""
import gzip
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEEP = 6000  # nesting depth of the deep seeds (12 KB of brackets)


def out(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ---- safetensors ----------------------------------------------------------------------------------------------
def st_file(header, data, pad=True):
    """A whole safetensors file: u64 LE length, header (padded with spaces to a multiple of 8), data."""
    h = (header if isinstance(header, str) else compact(header)).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def st_header_mode(header, data=b""):
    """The target's header mode: JSON header text, NUL, data section."""
    h = header if isinstance(header, str) else compact(header)
    return h.encode() + b"\0" + data


def safetensors():
    t = "safetensors"
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.25)
    bf16 = bytes.fromhex("803f00c0003f")  # 1, -2, 0.5
    out(t, "valid_f32_bf16.safetensors", st_file(
        {"__metadata__": {"format": "pt"},
         "model.embed_tokens.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
         "model.norm.weight": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]}}, f32 + bf16))
    out(t, "scalar_empty_odd_offset.safetensors", st_file(
        {"s": {"dtype": "F16", "shape": [], "data_offsets": [1, 3]},
         "e": {"dtype": "F32", "shape": [4, 0], "data_offsets": [3, 3]}}, b"\x00\x00\x3c\x00"))
    out(t, "header_valid.bin", st_header_mode(
        {"__metadata__": {"format": "pt", "note": "x"},
         "w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}}, bytes(range(12))))
    out(t, "header_overlap.bin", st_header_mode(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)))
    out(t, "header_unsupported_dtype.bin", st_header_mode(
        {"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)))
    out(t, "header_shape_overflow.bin", st_header_mode(
        '{"a":{"dtype":"F32","shape":[4294967296,4294967296,9223372036854775807],"data_offsets":[0,4]}}', bytes(4)))
    out(t, "header_offsets_u64max.bin", st_header_mode(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551615,18446744073709551615]}}', bytes(4)))
    out(t, "header_numbers_edge.bin", st_header_mode(
        '{"a":{"dtype":"F16","shape":[1e300,-0,2.5],"data_offsets":[-1,1e308]}}', bytes(4)))
    out(t, "header_negative_dim.bin", st_header_mode(
        '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'))
    out(t, "header_duplicate_and_metadata.bin", st_header_mode(
        '{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},'
        '"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', bytes(4)))
    out(t, "header_not_object.bin", st_header_mode('{"a":[1,{"dtype":null}],"b":"F32"}'))
    # The dtype, shape and data_offsets of an entry are printed (dump()) in error messages: nest them.
    out(t, "header_deep_shape.bin", st_header_mode(
        '{"a":{"dtype":"F32","shape":' + "[" * DEEP + "]" * DEEP + ',"data_offsets":[0,4]}}', bytes(4)))
    out(t, "header_deep_dtype.bin", st_header_mode(
        '{"a":{"dtype":' + '{"a":' * (DEEP // 2) + "1" + "}" * (DEEP // 2) + ',"shape":[1],"data_offsets":[0,4]}}',
        bytes(4)))
    out(t, "raw_length_past_end.safetensors", struct.pack("<Q", 2**64 - 1) + b"{}")
    out(t, "raw_truncated.safetensors", b"\x08\x00\x00")
    out(t, "raw_header_not_json.safetensors", st_file('{"a": tru', b"", pad=False))


# ---- safetensors_index ----------------------------------------------------------------------------------------
S1, S2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"


def index():
    t = "safetensors_index"
    wm = {"model.embed_tokens.weight": S1, "model.norm.weight": S1, "layers.0.mlp.up_proj.weight": S2}
    out(t, "valid_two_shards.json", compact({"metadata": {"total_size": 26}, "weight_map": wm}))
    out(t, "valid_subset_old_keys.json", compact({"weight_map": {"model.norm.weight": S1}}))
    shard = st_file({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, struct.pack("<f", 7.0))
    out(t, "valid_third_shard.bin",
        compact({"weight_map": dict(wm, x="fuzz.safetensors")}).encode() + b"\0" + shard)
    dup = st_file({"model.norm.weight": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8))
    out(t, "duplicate_across_shards.bin",
        compact({"weight_map": {"model.norm.weight": S1, "y": "fuzz.safetensors"}}).encode() + b"\0" + dup)
    out(t, "listed_but_absent.json", compact({"weight_map": {"nope": S1}}))
    out(t, "bad_shard_names.json", compact({"weight_map": {"a": "../" + S1, "b": "sub", "c": ".", "d": ""}}))
    out(t, "shard_is_directory.json", compact({"weight_map": {"a": "sub"}}))
    out(t, "shard_is_index.json", compact({"weight_map": {"a": "model.safetensors.index.json"}}))
    out(t, "missing_shard.json", compact({"weight_map": {"a": "model-00003-of-00003.safetensors"}}))
    out(t, "weight_map_types.json", '{"weight_map":{"a":7,"b":null,"c":["x"]},"metadata":{"total_size":1e308}}')
    out(t, "not_object.json", '[{"weight_map":{}}]')
    out(t, "no_weight_map.json", '{"metadata":{"total_size":18446744073709551615}}')
    out(t, "deep_metadata.json", '{"metadata":' + "[" * DEEP + "]" * DEEP + ',"weight_map":{}}')
    out(t, "deep_entry.json", '{"weight_map":{"a":' + "[" * DEEP + "]" * DEEP + "}}")


# ---- config ---------------------------------------------------------------------------------------------------
QWEN3_06B = {
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": 151643,
    "eos_token_id": 151643, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024, "initializer_range": 0.02,
    "intermediate_size": 3072, "max_position_embeddings": 32768, "max_window_layers": 28, "model_type": "qwen3",
    "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
    "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None, "tie_word_embeddings": True,
    "torch_dtype": "float32", "transformers_version": "4.51.3", "use_cache": True, "use_sliding_window": False,
    "vocab_size": 151669}


def config():
    t = "config"
    out(t, "qwen3_embedding_0.6b.json", json.dumps(QWEN3_06B, indent=2))
    tiny = dict(QWEN3_06B, hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
                num_key_value_heads=2, head_dim=32)
    del tiny["rope_theta"]
    tiny["rope_parameters"] = {"rope_theta": 10000.0, "rope_type": "default"}
    out(t, "tiny_rope_parameters.json", compact(tiny))
    c = dict(QWEN3_06B)
    del c["head_dim"]
    c["rope_scaling"] = {"type": "default"}
    out(t, "no_head_dim_scaling_default.json", compact(c))
    out(t, "rope_yarn.json", compact(dict(QWEN3_06B, rope_scaling={"rope_type": "yarn", "factor": 4.0})))
    out(t, "rope_disagree.json", compact(dict(QWEN3_06B, rope_parameters={"rope_theta": 5e5, "rope_type": "default"})))
    out(t, "wrong_model_type.json", compact(dict(QWEN3_06B, model_type="llama")))
    out(t, "heads_not_multiple.json", compact(dict(QWEN3_06B, num_key_value_heads=3)))
    out(t, "odd_head_dim_attention_bias.json", compact(dict(QWEN3_06B, head_dim=7, attention_bias=True)))
    out(t, "types_wrong.json", compact(dict(QWEN3_06B, hidden_size="1024", tie_word_embeddings=1, rms_norm_eps=None)))
    out(t, "sizes_large.json", compact(dict(QWEN3_06B, hidden_size=65536, intermediate_size=2147483647,
                                            num_hidden_layers=1024, vocab_size=4294967296, head_dim=65536)))
    # Accepted, and num_parameters() = 2 * vocab_size + 32 is 1,775 below INT64_MAX: one more layer, a larger
    # intermediate_size or one more digit anywhere overflows it (10 minutes of fuzzing from the seeds above never
    # made a config whose sizes overflow).
    out(t, "sizes_near_int64_max.json", compact({
        "model_type": "qwen3", "hidden_size": 2, "intermediate_size": 1, "num_hidden_layers": 1,
        "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": 2, "vocab_size": 4611686018427387000,
        "max_position_embeddings": 1, "rms_norm_eps": 1e-6, "rope_theta": 1e6}))
    out(t, "numbers_edge.json",
        '{"model_type":"qwen3","hidden_size":9223372036854775807,"intermediate_size":-9223372036854775808,'
        '"num_hidden_layers":18446744073709551615,"num_attention_heads":1,"num_key_value_heads":1,"vocab_size":1,'
        '"max_position_embeddings":1,"rms_norm_eps":5e-324,"rope_theta":1.7976931348623157e308}')
    out(t, "missing_fields.json", '{"model_type":"qwen3","hidden_size":64}')
    out(t, "not_object.json", "[1, 2, 3]")
    out(t, "not_json.json", '{"hidden_size": 64,')
    out(t, "deep_model_type.json", '{"model_type":' + "[" * DEEP + "]" * DEEP + "}")
    out(t, "deep_rope_parameters.json",
        compact(dict(QWEN3_06B, rope_parameters=None))[:-1] + ',"rope_scaling":' + '{"a":' * (DEEP // 2) + "1" +
        "}" * (DEEP // 2) + "}")


# ---- tokenizer_load -------------------------------------------------------------------------------------------
def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"
              r"\s+(?!\S)|\s+")


def tiny_tokenizer(old_merges=False):
    """The 256 byte tokens (id = byte), a few merges, Qwen's split regex, NFC, added tokens (tests/test_tokenizer.cpp's
    tiny tokenizer plus <|endoftext|> = 151643, so that encode_for_embedding works)."""
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    vocab.update({"ab": 256, "abc": 257, "aa": 258, "Ġa": 259, "aaa": 260, "Ġt": 261, "he": 262, "Ġthe": 263})
    merges = [["a", "b"], ["ab", "c"], ["a", "a"], ["Ġ", "a"], ["aa", "a"], ["Ġ", "t"], ["h", "e"], ["Ġt", "he"]]
    if old_merges:
        merges = [" ".join(m) for m in merges]

    def added(i, content, lstrip=False, rstrip=False):
        return {"id": i, "content": content, "single_word": False, "lstrip": lstrip, "rstrip": rstrip,
                "normalized": False, "special": True}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(300, "<x>", lstrip=True), added(301, "<xy>", rstrip=True),
                         added(151643, "<|endoftext|>")],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def tokenizer_load():
    t = "tokenizer_load"
    out(t, "tiny_qwen_like.json", compact(tiny_tokenizer()))
    r = tiny_tokenizer(old_merges=True)
    r["normalizer"] = None
    r["model"]["ignore_merges"] = True
    r["pre_tokenizer"] = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}
    out(t, "tiny_old_merges_no_split.json", compact(r))
    r = tiny_tokenizer()
    r["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {"String": " "}
    r["decoder"] = None
    del r["added_tokens"]
    out(t, "tiny_literal_split.json", compact(r))
    r = tiny_tokenizer()
    r["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {"Regex": r"(a|aa)+$|(?<=b)\K|\b|(?=x)"}
    r["model"]["vocab"]["far"] = 99999
    out(t, "tiny_odd_regex_far_id.json", compact(r))
    # Refusals: one field wrong in each (the loader names the field).
    cases = {
        "bad_vocab_types.json": lambda r: r["model"]["vocab"].update({"s": "7", "f": 1.5, "n": -1, "big": 2147483648}),
        "bad_merges.json": lambda r: r["model"].update(merges=[["a", "zz"], "a b c", 7, ["a"]]),
        "bad_added_tokens.json": lambda r: r.update(added_tokens=[{"id": 5, "content": ""}, {"id": "x"},
                                                                  {"id": 7, "content": "<x>", "single_word": True}]),
        "bad_pre_tokenizer.json": lambda r: r["pre_tokenizer"]["pretokenizers"][0].update(
            behavior="Removed", pattern={"Regex": "(unclosed"}),
        "bad_normalizer_model.json": lambda r: (r.update(normalizer={"type": "Lowercase"}),
                                                r["model"].update(type="WordPiece", dropout=0.1)),
    }
    for name, edit in cases.items():
        r = tiny_tokenizer()
        edit(r)
        out(t, name, compact(r))
    # A vocab id ten times INT32_MAX is refused ("out of range"); deleting any one of its digits gives an accepted id
    # of 147,483,647 or more, and the id -> bytes table is sized by the largest id (32 bytes each): gigabytes.
    # 10 minutes of fuzzing from the seeds above never made an id that large.
    r = tiny_tokenizer()
    r["model"]["vocab"]["far"] = 21474836470
    out(t, "vocab_id_10x_int32_max.json", compact(r))
    out(t, "missing_byte.json", compact({"pre_tokenizer": {"type": "ByteLevel", "use_regex": False},
                                         "model": {"vocab": {"a": 0}, "merges": []}}))
    out(t, "numbers_edge.json",
        '{"pre_tokenizer":{"type":"ByteLevel","use_regex":false},"model":{"vocab":{"a":1e300,"b":9223372036854775807,'
        '"c":-9223372036854775808,"d":18446744073709551615},"merges":[]},"added_tokens":[{"id":2147483647,'
        '"content":"<big>"}]}')
    out(t, "not_object.json", "[1, 2]")
    out(t, "deep_vocab.json",
        '{"pre_tokenizer":{"type":"ByteLevel","use_regex":false},"model":{"vocab":' + "[" * DEEP + "]" * DEEP +
        ',"merges":[]}}')


# ---- tokenizer_encode -----------------------------------------------------------------------------------------
def tokenizer_encode():
    t = "tokenizer_encode"
    texts = {
        "ascii.txt": "Hello, world! The quick brown fox jumps over the lazy dog. It's 2024; we've 3.14 apples.",
        "code.txt": "def f(x):\n    return x**2  # square\n\n\tif (a && b) { c[i] += 0x1F; }\r\n",
        "cjk.txt": "你好，世界！日本語のテキストと한국어 텍스트。",
        "emoji_zwj.txt": "👩‍👩‍👧‍👦 🇫🇷 ❤️ 👍🏽 a\u200db",
        "combining.txt": "e\u0301 A\u030a \u1100\u1161 \u0065\u0301\u0301 Å ﬁ ①",
        "added_tokens.txt": "<|im_start|>user\nHi<|im_end|>\n<|endoftext|>text<|endoftext|><|im_start",
        "whitespace.txt": "   \n\n  \t\t x  \u00a0\u3000\u2028\u0085\u180e\ufeff y   ",
        "digits_contractions.txt": "1234567890 I'M YOU'LL 'S 's 're \u017f 99999999999999999999",
        "rtl_mixed.txt": "مرحبا بالعالم שלום עולם Ελληνικά Кириллица देवनागरी",
        "long_word.txt": "a" * 600 + " " + "ab" * 300 + " " + "\u0e01" * 200,
    }
    for name, text in texts.items():
        out(t, name, text)
    out(t, "invalid_utf8.bin", b"ok \xff\xfe \xc0\x80 \xe2\x82 \xed\xa0\x80 \xf4\x90\x80\x80 \xf0\x9f\x98 end\x00\x01")
    out(t, "ids_le24.bin", b"".join(struct.pack("<I", i)[:3] for i in [0, 1, 255, 256, 151642, 151643, 151668,
                                                                       151669, 200000, 262143]))


# ---- chrome_trace ---------------------------------------------------------------------------------------------
def chrome_trace():
    t = "chrome_trace"
    src = os.path.join(ROOT, "tests", "data", "traces")
    os.makedirs(os.path.join(HERE, "corpus", t), exist_ok=True)
    for name in ["array_form.json", "every_phase.json", "every_phase.json.gz", "kineto_small.json", "tiny_cpu.json",
                 "end_before_begin.json", "negative_dur.json", "truncated.json", "corrupt.json.gz",
                 "metadata_only.json", "events_not_objects.json", "no_phase.json"]:
        shutil.copyfile(os.path.join(src, name), os.path.join(HERE, "corpus", t, name))
    ev = [
        {"ph": "M", "pid": 1, "tid": 1, "name": "process_name", "args": {"name": "GPU 0"}},
        {"ph": "M", "pid": 1, "tid": 7, "name": "thread_name", "args": {"name": "stream 7"}},
        {"ph": "M", "pid": "p", "tid": "t", "name": "thread_sort_index", "args": {"sort_index": -3}},
        {"ph": "B", "pid": 1, "tid": 7, "ts": "12.3456", "name": "outer", "cat": "c"},
        {"ph": "X", "pid": 1, "tid": 7, "ts": 13, "dur": 1.5e0, "name": "void ns::k<int>(float*)", "args": {"a": [1, {"b": None}]}},
        {"ph": "s", "pid": 1, "tid": 7, "ts": 13, "id": 5, "cat": "f", "name": "launch"},
        {"ph": "f", "pid": 1, "tid": 7, "ts": 14, "id": 5, "cat": "f", "name": "launch", "bp": "e"},
        {"ph": "t", "pid": 1, "tid": 7, "ts": 14, "id2": {"local": "0x1"}, "cat": "f", "name": "launch"},
        {"ph": "E", "pid": 1, "tid": 7, "ts": 20.0001},
        {"ph": "E", "pid": 1, "tid": 7, "ts": 21},
        {"ph": "C", "pid": 1, "ts": 5, "name": "mem", "args": {"used": 10, "free": 2.5, "s": "x"}},
        {"ph": "C", "pid": 1, "ts": 4, "name": "mem", "args": {"used": 1e308}},
        {"ph": "i", "pid": 1, "tid": 7, "ts": 15, "s": "g", "name": "mark"},
        {"ph": "b", "pid": 1, "tid": 7, "ts": 15, "id": 1, "name": "async"},
    ]
    text = compact({"traceEvents": ev, "otherData": {"device": "H200", "n": 1}, "displayTimeUnit": "ns"})
    out(t, "every_shape.json", text)
    out(t, "every_shape.json.gz", gzip.compress(text.encode(), mtime=0))
    out(t, "numbers_edge.json", compact([
        {"ph": "X", "pid": 1, "tid": 1, "ts": 9223372036854775807, "dur": 9223372036854775807, "name": "a"},
        {"ph": "X", "pid": 1, "tid": 1, "ts": -9223372036854775808, "dur": 18446744073709551615, "name": "b"}])
        [:-1] + ',{"ph":"X","pid":1,"tid":1,"ts":4.6e15,"dur":4.6e15,"name":"c"},'
        '{"ph":"X","pid":1,"tid":1,"ts":-1e-300,"dur":1e300,"name":"d"},'
        '{"ph":"B","pid":1.5,"tid":-0,"ts":1.0000000000000000001,"name":"e"}]')
    out(t, "deep_args.json", '{"traceEvents":[{"ph":"X","pid":1,"tid":1,"ts":1,"dur":1,"name":"a","args":{"a":' +
        "[" * DEEP + "]" * DEEP + "}}]}")
    out(t, "deep_nesting_be.json", compact([{"ph": "B", "pid": 1, "tid": 1, "ts": i, "name": "n"} for i in range(300)]))
    out(t, "gzip_bomb_small.gz", gzip.compress(b"[" + b"{}," * 400000 + b"{}]", 9, mtime=0))


# ---- gguf -----------------------------------------------------------------------------------------------------
def gguf_str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, v):
    """(type tag bytes excluded) kind: 'u32' 'i32' 'f32' 'bool' 'str' ('arr', elem_kind, list)."""
    if kind == "u32":
        return struct.pack("<I", v)
    if kind == "i32":
        return struct.pack("<i", v)
    if kind == "f32":
        return struct.pack("<f", v)
    if kind == "bool":
        return struct.pack("<B", v)
    if kind == "str":
        return gguf_str(v)
    raise ValueError(kind)


GGUF_TAG = {"u32": 4, "i32": 5, "f32": 6, "bool": 7, "str": 8, "arr": 9}


def gguf_kv(key, kind, v, elem=None):
    out = gguf_str(key) + struct.pack("<I", GGUF_TAG[kind])
    if kind == "arr":
        out += struct.pack("<IQ", GGUF_TAG[elem], len(v)) + b"".join(gguf_value(elem, x) for x in v)
    else:
        out += gguf_value(kind, v)
    return out


# ggml types: number, values per block, bytes per block
GGML = {"F32": (0, 1, 4), "F16": (1, 1, 2), "Q8_0": (8, 32, 34), "Q4_K": (12, 256, 144), "Q6_K": (14, 256, 210),
        "BF16": (30, 1, 2)}


def gguf_file(kvs, tensors):
    """tensors: (name, dims in ggml order, type name); data is a deterministic byte pattern with f16 scales of 1/64
    where the block formats keep them, so the values stay finite."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs)
    infos, blobs, offset = b"", [], 0
    for name, dims, tname in tensors:
        num, bv, bb = GGML[tname]
        rows = 1
        for d in dims[1:]:
            rows *= d
        nbytes = dims[0] // bv * bb * rows
        blob = bytearray((i * 37 + 11) % 251 for i in range(nbytes))
        if tname == "F32":
            blob = bytearray(b"".join(struct.pack("<f", ((i % 17) - 8) / 16.0) for i in range(nbytes // 4)))
        elif tname in ("F16", "BF16"):
            blob = bytearray(b"".join(struct.pack("<H", 0x3C00 if tname == "F16" else 0x3F80) for _ in range(nbytes // 2)))
        elif tname == "Q8_0":
            for b in range(0, nbytes, 34):
                blob[b:b + 2] = struct.pack("<H", 0x2400)
        elif tname == "Q4_K":
            for b in range(0, nbytes, 144):
                blob[b:b + 4] = struct.pack("<HH", 0x2400, 0x2400)
        elif tname == "Q6_K":
            for b in range(0, nbytes, 210):
                blob[b + 208:b + 210] = struct.pack("<H", 0x2400)
        infos += gguf_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", num, offset)
        blobs.append(bytes(blob) + b"\0" * ((32 - nbytes % 32) % 32))
        offset += len(blobs[-1])
    out = head + infos
    out += b"\0" * ((32 - len(out) % 32) % 32)
    return out + b"".join(blobs)


def gguf_qwen3(weight_type, vocab_extra=4):
    """A 1-layer Qwen3 (hidden 32, intermediate 64, 2 heads of 16, 1 KV head) with a byte-level vocabulary."""
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)] + ["ab", "abc", "<|im_start|>", "<think>"][:vocab_extra]
    types = [1] * 256 + [1, 1, 3, 4][:vocab_extra]
    V, H, I, D = len(tokens), 32, 64, 16
    kvs = [gguf_kv("general.architecture", "str", "qwen3"), gguf_kv("general.alignment", "u32", 32),
           gguf_kv("qwen3.block_count", "u32", 1), gguf_kv("qwen3.context_length", "u32", 128),
           gguf_kv("qwen3.embedding_length", "u32", H), gguf_kv("qwen3.feed_forward_length", "u32", I),
           gguf_kv("qwen3.attention.head_count", "u32", 2), gguf_kv("qwen3.attention.head_count_kv", "u32", 1),
           gguf_kv("qwen3.attention.key_length", "u32", D), gguf_kv("qwen3.attention.value_length", "u32", D),
           gguf_kv("qwen3.attention.layer_norm_rms_epsilon", "f32", 1e-6), gguf_kv("qwen3.rope.freq_base", "f32", 1e6),
           gguf_kv("qwen3.pooling_type", "u32", 3), gguf_kv("tokenizer.ggml.model", "str", "gpt2"),
           gguf_kv("tokenizer.ggml.pre", "str", "qwen2"), gguf_kv("tokenizer.ggml.tokens", "arr", tokens, "str"),
           gguf_kv("tokenizer.ggml.token_type", "arr", types, "i32"),
           gguf_kv("tokenizer.ggml.merges", "arr", ["a b", "ab c"], "str"),
           gguf_kv("tokenizer.ggml.add_eos_token", "bool", 1)]
    w = weight_type
    tensors = [("token_embd.weight", [H, V], w), ("blk.0.attn_norm.weight", [H], "F32"),
               ("blk.0.attn_q.weight", [H, 2 * D], w), ("blk.0.attn_k.weight", [H, D], w),
               ("blk.0.attn_v.weight", [H, D], w), ("blk.0.attn_output.weight", [2 * D, H], w),
               ("blk.0.attn_q_norm.weight", [D], "F32"), ("blk.0.attn_k_norm.weight", [D], "F32"),
               ("blk.0.ffn_norm.weight", [H], "F32"), ("blk.0.ffn_gate.weight", [H, I], w),
               ("blk.0.ffn_up.weight", [H, I], w), ("blk.0.ffn_down.weight", [I, H], w),
               ("output_norm.weight", [H], "F32")]
    return gguf_file(kvs, tensors)


def gguf():
    for t in ("F32", "F16", "BF16", "Q8_0"):
        out("gguf", f"qwen3_{t.lower()}.gguf", gguf_qwen3(t))
    out("gguf", "block_types.gguf", gguf_file([gguf_kv("general.architecture", "str", "test")],
                                              [("q4k", [256, 2], "Q4_K"), ("q6k", [256, 1], "Q6_K"),
                                               ("q8", [64, 3, 1, 2], "Q8_0")]))
    nested = gguf_str("nested") + struct.pack("<IIQ", 9, 9, 2) + struct.pack("<IQ", 5, 1) + struct.pack("<i", -1) + \
        struct.pack("<IQ", 8, 1) + gguf_str("x")
    out("gguf", "nested_arrays.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + nested)
    out("gguf", "truncated.gguf", gguf_qwen3("F32")[:3000])
    out("gguf", "empty.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 0))


# ---- dictionaries ---------------------------------------------------------------------------------------------
JSON_TOKENS = [
    "{", "}", "[", "]", ":", ",", '"', "\\\"", "true", "false", "null", "-", "0", "-0", "1", "0.5", "1e3", "-1",
    "[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]", '{"a":{"a":{"a":{"a":', "}}}}", '[{"a":[{"a":[',
    "1e400", "-1e400", "1e-400", "1.7976931348623157e308", "4.9e-324", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616", "4294967296",
    "2147483647", "2147483648", "100000000", "1e8", "99999999999999999999999999", "NaN", "Infinity",
    "\\u0000", "\\ud800", "\\udc00\\ud800", "\\uffff", "\\\\", "\\n", "\\t", "\\/",
]


def dict_file(target, words):
    d = os.path.join(HERE, "dict")
    os.makedirs(d, exist_ok=True)
    seen = []
    for w in JSON_TOKENS + words:
        if w not in seen:
            seen.append(w)
    with open(os.path.join(d, target + ".dict"), "w") as f:
        f.write(f"# libFuzzer dictionary for fuzz_{target} (written by tests/fuzz/make_corpus.py)\n")
        for i, w in enumerate(seen):
            raw = w if isinstance(w, bytes) else w.encode("utf-8")  # bytes: raw bytes, not UTF-8 of code points
            esc = "".join(chr(b) if 0x20 <= b < 0x7F and chr(b) not in '"\\' else
                          ("\\" + chr(b) if chr(b) in '"\\' else f"\\x{b:02x}") for b in raw)
            f.write(f'k{i}="{esc}"\n')


def q(*names):
    return ['"' + n + '"' for n in names]


def dictionaries():
    dict_file("safetensors", q("dtype", "shape", "data_offsets", "__metadata__", "format", "pt", "F32", "BF16", "F16",
                               "F64", "I64", "BOOL", "F8_E4M3") +
              ["\x00", "\x00\x00\x00\x00\x00\x00\x00\x00", b"\xff\xff\xff\xff\xff\xff\xff\xff", '"shape":[',
               '"data_offsets":[0,', '"dtype":"F32"', "        "])
    dict_file("safetensors_index", q("weight_map", "metadata", "total_size", S1, S2, "fuzz.safetensors", "sub", "..",
                                     ".", "model.safetensors", "model.safetensors.index.json", "model.norm.weight",
                                     "model.embed_tokens.weight", "layers.0.mlp.up_proj.weight", "dtype", "shape",
                                     "data_offsets", "F32") + ["\x00", "/", "model."])
    dict_file("config", q("model_type", "qwen3", "hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",
                          "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_parameters", "rope_scaling",
                          "rope_type", "type", "default", "yarn", "tie_word_embeddings", "attention_bias",
                          "architectures", "torch_dtype") +
              ["1099511627776", "3037000500", "4611686018427387904", "151669", "65536"])
    dict_file("tokenizer_load", q("version", "normalizer", "pre_tokenizer", "pretokenizers", "model", "vocab",
                                  "merges", "added_tokens", "decoder", "type", "NFC", "Sequence", "Split", "ByteLevel",
                                  "BPE", "pattern", "Regex", "String", "behavior", "Isolated", "invert", "use_regex",
                                  "add_prefix_space", "ignore_merges", "byte_fallback", "dropout",
                                  "continuing_subword_prefix", "end_of_word_suffix", "id", "content", "special",
                                  "lstrip", "rstrip", "normalized", "single_word", "<|endoftext|>", "Ġ", "Ċ") +
              ["151643", "\\p{L}", "\\p{N}", "\\s", "(?i:", "(?=", "(?!", "(?<=", "\\K", "*+", "{1000}", "(a+)+",
               "\\X", "\\R", "(*ACCEPT)", "(?R)", "\\1", "[^", "|"])
    dict_file("tokenizer_encode", ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|", "|>", "'s", "'ll", "'RE",
                                   "\r\n", "\u0085", "\u00a0", "\u3000", "\ufeff", "\u180e", "\u0301", "\u200d",
                                   "\ufffd", "\U0001f600", "\U000e0001", b"\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xe2\x82"])
    dict_file("gguf", [b"GGUF", b"\x03\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00\x00\x00",
                       b"\xff\xff\xff\xff\xff\xff\xff\xff", b"\x09\x00\x00\x00", b"\x08\x00\x00\x00",
                       b"\x0c\x00\x00\x00", b"\x1e\x00\x00\x00", "general.alignment", "general.architecture",
                       "qwen3.block_count", "qwen3.embedding_length", "tokenizer.ggml.tokens",
                       "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "token_embd.weight", "blk.0.attn_q.weight"])
    dict_file("chrome_trace", q("traceEvents", "otherData", "ph", "ts", "dur", "pid", "tid", "name", "cat", "args",
                                "id", "id2", "local", "global", "bp", "e", "s", "X", "B", "E", "i", "I", "C", "M",
                                "t", "f", "b", "n", "p", "g", "process_name", "thread_name", "process_labels",
                                "process_sort_index", "thread_sort_index", "sort_index", "displayTimeUnit") +
              [b"\x1f\x8b\x08\x00", "12.3456", "1.5e3", "-3", "9.2e15"])


def main():
    shutil.rmtree(os.path.join(HERE, "corpus"), ignore_errors=True)
    shutil.rmtree(os.path.join(HERE, "dict"), ignore_errors=True)
    safetensors()
    index()
    config()
    tokenizer_load()
    tokenizer_encode()
    chrome_trace()
    gguf()
    dictionaries()


if __name__ == "__main__":
    main()
