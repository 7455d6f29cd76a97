// GGUF: the reader against the writer for every type and every kind of metadata; a model loaded from GGUF against
// the same model from safetensors; the tokenizer from GGUF metadata against tokenizer.json; and every kind of bad
// file refused with one line (core/gguf.h, core/gguf_write.h, core/gguf_model.h, core/model_dir.h).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "core/batch.h"
#include "core/error.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/gguf_write.h"
#include "core/model_dir.h"
#include "core/quant.h"
#include "core/tokenizer.h"
#include "core/weights.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

namespace qwen3 {
namespace {

using test::TempDir;

// ---- helpers ------------------------------------------------------------------------------------------------

// Expects `fn` to throw E whose message is one line holding every phrase.
template <class E = FormatError>
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& phrases) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected one with '" << phrases[0] << "'";
  } catch (const E& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    for (const std::string& p : phrases) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

// Little-endian bytes of a number, and a GGUF string.
template <class T>
std::string le(T v) {
  std::string s(sizeof v, '\0');
  std::memcpy(s.data(), &v, sizeof v);
  return s;
}
std::string gstr(const std::string& s) { return le<uint64_t>(s.size()) + s; }

// A GGUF file built byte by byte, so that every field can be made wrong on purpose.
struct RawGguf {
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;  // ggml order
    uint32_t type = 0;
    uint64_t offset = 0;
    std::optional<uint32_t> n_dims;  // default dims.size()
  };
  uint32_t magic = 0x46554747, version = 3;
  std::optional<uint64_t> tensor_count, kv_count;  // default: the lists' sizes
  std::vector<std::pair<std::string, std::string>> kvs;  // key, type tag + value bytes
  std::vector<Tensor> tensors;
  uint64_t alignment = 32;   // where the data section starts
  uint64_t data_bytes = 0;   // bytes of data written after it

  std::string build() const {
    std::string b = le(magic) + le(version) + le<uint64_t>(tensor_count.value_or(tensors.size())) +
                    le<uint64_t>(kv_count.value_or(kvs.size()));
    for (const auto& [k, v] : kvs) b += gstr(k) + v;
    for (const Tensor& t : tensors) {
      b += gstr(t.name) + le<uint32_t>(t.n_dims.value_or(static_cast<uint32_t>(t.dims.size())));
      for (uint64_t d : t.dims) b += le(d);
      b += le(t.type) + le(t.offset);
    }
    b.append((alignment - b.size() % alignment) % alignment, '\0');
    for (uint64_t i = 0; i < data_bytes; ++i) b += static_cast<char>(i * 7);
    return b;
  }
};
std::string kv_u32(uint32_t v) { return le<uint32_t>(4) + le(v); }
std::string kv_str(const std::string& s) { return le<uint32_t>(8) + gstr(s); }

// A valid two-tensor file: "a" F32 {32, 2} at 0 (256 bytes), "b" Q8_0 {32} at 256 (34 bytes).
RawGguf valid_raw() {
  RawGguf r;
  r.kvs = {{"general.architecture", kv_str("qwen3")}, {"general.alignment", kv_u32(32)}};
  r.tensors = {{"a", {32, 2}, 0, 0, {}}, {"b", {32}, 8, 256, {}}};
  r.data_bytes = 290;
  return r;
}

void write_bytes(const std::string& path, const std::string& bytes) { test::write_file(path, bytes); }

// Opens `bytes` as a GGUF file.
void open_bytes(const TempDir& dir, const std::string& bytes) {
  const std::string path = dir.file("x.gguf");
  write_bytes(path, bytes);
  GgufFile f(path);
}

// A small config for the model-level tests; `hidden` 256 (Q4_K's block) for the quantised ones.
ModelConfig small_model_config(int64_t hidden, int64_t inter, int64_t head_dim, int64_t vocab) {
  ModelConfig c;
  c.hidden_size = hidden, c.intermediate_size = inter, c.num_hidden_layers = 2, c.num_attention_heads = 4;
  c.num_key_value_heads = 2, c.head_dim = head_dim, c.vocab_size = vocab, c.max_position_embeddings = 4096;
  c.rms_norm_eps = 1e-6, c.rope_theta = 1e6;
  return c;
}

// The qwen3.* and tokenizer metadata for a config, with a made-up vocabulary of c.vocab_size normal tokens
// (enough for the config; Tokenizer::from_gguf is tested with the real one).
std::vector<std::pair<std::string, GgufValue>> small_metadata(const ModelConfig& c) {
  const auto u32 = [](int64_t v) { return GgufValue::u32(static_cast<uint32_t>(v)); };
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < c.vocab_size; ++i) tokens.push_back(std::string("t").append(std::to_string(i)));
  return {
      {"general.architecture", GgufValue::string("qwen3")},
      {"qwen3.block_count", u32(c.num_hidden_layers)},
      {"qwen3.context_length", u32(c.max_position_embeddings)},
      {"qwen3.embedding_length", u32(c.hidden_size)},
      {"qwen3.feed_forward_length", u32(c.intermediate_size)},
      {"qwen3.attention.head_count", u32(c.num_attention_heads)},
      {"qwen3.attention.head_count_kv", u32(c.num_key_value_heads)},
      {"qwen3.attention.key_length", u32(c.head_dim)},
      {"qwen3.attention.value_length", u32(c.head_dim)},
      {"qwen3.attention.layer_norm_rms_epsilon", GgufValue::f32(static_cast<float>(c.rms_norm_eps))},
      {"qwen3.rope.freq_base", GgufValue::f32(static_cast<float>(c.rope_theta))},
      {"qwen3.pooling_type", GgufValue::u32(3)},
      {"tokenizer.ggml.model", GgufValue::string("gpt2")},
      {"tokenizer.ggml.pre", GgufValue::string("qwen2")},
      {"tokenizer.ggml.tokens", GgufValue::string_array(tokens)},
      {"tokenizer.ggml.token_type", GgufValue::i32_array(std::vector<int32_t>(tokens.size(), 1))},
      {"tokenizer.ggml.merges", GgufValue::string_array({})},
  };
}

// Writes `w` (for config c) as GGUF: 2-D tensors in `type`, norms F32. `edit` may change the metadata and the tensor
// list before writing.
using Meta = std::vector<std::pair<std::string, GgufValue>>;
void write_model(const std::string& path, const ModelConfig& c, HostWeights& w, GgmlType type, Meta meta,
                 const std::function<void(Meta&, std::vector<GgufTensorToWrite>&)>& edit = {}) {
  std::vector<GgufTensorToWrite> tensors;
  for_each_tensor(c, w, [&](const TensorSpec& s, HostTensor& t) {
    tensors.push_back({gguf_tensor_name(s.name), s.shape.size() == 1 ? GgmlType::F32 : type, s.shape, t.data.data(), nullptr});
  });
  if (edit) edit(meta, tensors);
  write_gguf(path, meta, tensors);
}

// Embeddings of a few fixed id sequences.
std::vector<float> embed_ids(Backend& b) {
  return b.forward(Batch::pack({{9707, 11, 1879, 0, 151643}, {42, 7, 151643}, {3}})).embeddings;
}

// ---- reader and writer --------------------------------------------------------------------------------------

// Every supported type written from floats reads back as the quantiser's bytes, with dims reversed and the data
// aligned; Q6_K (read-only here) goes through as encoded bytes.
TEST(GgufRoundTrip, EveryTensorType) {
  TempDir dir;
  const int64_t rows = 3, n = 512;
  const std::vector<float> values = test::random_vector(static_cast<size_t>(rows * n), 5);
  const std::vector<GgmlType> types = {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_K};
  std::vector<GgufTensorToWrite> tensors;
  for (GgmlType t : types)
    tensors.push_back({std::string("w.") + block_format(t).name, t, {rows, n}, values.data(), nullptr});
  std::vector<uint8_t> q6(static_cast<size_t>(row_bytes(GgmlType::Q6_K, n) * rows));
  for (size_t i = 0; i < q6.size(); ++i) q6[i] = static_cast<uint8_t>(i * 31 + 7);
  for (size_t b = 208; b < q6.size(); b += 210) q6[b] = 0, q6[b + 1] = 0x3C;  // each block's f16 scale d = 1.0
  tensors.push_back({"w.Q6_K", GgmlType::Q6_K, {rows, n}, nullptr, q6.data()});
  const std::string path = dir.file("all.gguf");
  write_gguf(path, {{"general.architecture", GgufValue::string("test")}}, tensors);

  const GgufFile f(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset() % 32, 0u);
  ASSERT_EQ(f.tensors().size(), types.size() + 1);
  for (GgmlType type : types) {
    const GgufTensor* t = f.find_tensor(std::string("w.") + block_format(type).name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->type, type);
    EXPECT_EQ(t->dims, (std::vector<int64_t>{n, rows}));
    EXPECT_EQ(t->shape(), (std::vector<int64_t>{rows, n}));
    EXPECT_EQ(t->offset % 32, 0u);
    EXPECT_EQ(t->nbytes, static_cast<uint64_t>(row_bytes(type, n) * rows));
    std::vector<float> back(static_cast<size_t>(n)), expect(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<uint8_t> enc = quantize_row(type, values.data() + r * n, n);
      ASSERT_EQ(std::memcmp(enc.data(), t->data + r * row_bytes(type, n), enc.size()), 0) << block_format(type).name;
      dequantize_row(type, t->data + r * row_bytes(type, n), back.data(), n);
      dequantize_row(type, enc.data(), expect.data(), n);
      EXPECT_EQ(back, expect);
      if (type == GgmlType::F32) {
        EXPECT_EQ(back, std::vector<float>(values.begin() + r * n, values.begin() + (r + 1) * n));
      }
    }
  }
  const GgufTensor* t6 = f.find_tensor("w.Q6_K");
  ASSERT_NE(t6, nullptr);
  EXPECT_EQ(std::memcmp(t6->data, q6.data(), q6.size()), 0);
}

// Metadata of every GGUF type, nested arrays included, reads back as written, in order.
TEST(GgufRoundTrip, EveryMetadataType) {
  TempDir dir;
  GgufValue i8;
  i8.type = GgufType::I8, i8.bits = 0xFE;  // -2
  GgufValue f64;
  f64.type = GgufType::F64;
  const double pi = 3.141592653589793;
  std::memcpy(&f64.bits, &pi, 8);
  GgufValue u16;
  u16.type = GgufType::U16, u16.bits = 65535;
  GgufValue i64;
  i64.type = GgufType::I64, i64.bits = static_cast<uint64_t>(int64_t{-5});
  const Meta meta = {
      {"k.u32", GgufValue::u32(7)},       {"k.i32", GgufValue::i32(-3)},     {"k.u64", GgufValue::u64(1ull << 40)},
      {"k.f32", GgufValue::f32(0.25f)},  {"k.bool", GgufValue::boolean(true)}, {"k.str", GgufValue::string("héllo")},
      {"k.i8", i8},                       {"k.f64", f64},                    {"k.u16", u16}, {"k.i64", i64},
      {"k.strs", GgufValue::string_array({"a", "", "c d"})},
      {"k.ints", GgufValue::i32_array({1, -2, 3})},
      {"k.nested", GgufValue::array_of_arrays(GgufType::I32, {GgufValue::i32_array({1}), GgufValue::i32_array({2, 3})})},
  };
  write_gguf(dir.file("m.gguf"), meta, {});
  const GgufFile f(dir.file("m.gguf"));
  ASSERT_EQ(f.metadata().size(), meta.size());
  for (size_t k = 0; k < meta.size(); ++k) EXPECT_EQ(f.metadata()[k].first, meta[k].first);
  EXPECT_EQ(f.require_uint("k.u32"), 7u);
  EXPECT_EQ(f.find("k.i32")->as_int(), -3);
  EXPECT_EQ(f.require_uint("k.u64"), 1ull << 40);
  EXPECT_EQ(f.require_float("k.f32"), 0.25);
  EXPECT_TRUE(f.find("k.bool")->as_bool());
  EXPECT_EQ(f.require_string("k.str"), "héllo");
  EXPECT_EQ(f.find("k.i8")->as_int(), -2);
  EXPECT_EQ(f.require_float("k.f64"), pi);
  EXPECT_EQ(f.require_uint("k.u16"), 65535u);
  EXPECT_EQ(f.find("k.i64")->as_int(), -5);
  EXPECT_EQ(f.require_array("k.strs", GgufType::STRING).strings, (std::vector<std::string>{"a", "", "c d"}));
  const GgufValue& ints = f.require_array("k.ints", GgufType::I32);
  EXPECT_EQ(ints.int_at(1), -2);
  const GgufValue& nested = f.require_array("k.nested", GgufType::ARRAY);
  ASSERT_EQ(nested.arrays.size(), 2u);
  EXPECT_EQ(nested.arrays[1].int_at(1), 3);
  // Wrong types are refused with the key named.
  expect_error([&] { f.require_uint("k.str"); }, {"m.gguf", "'k.str'", "string, not an integer"});
  expect_error([&] { f.require_float("k.u32"); }, {"'k.u32'", "not a float"});
  expect_error([&] { f.require_uint("k.i32"); }, {"'k.i32'", "negative"});
  expect_error([&] { f.require_array("k.ints", GgufType::STRING); }, {"'k.ints'", "array of i32, not of string"});
  expect_error([&] { f.require_string("k.missing"); }, {"'k.missing'", "missing"});
}

// The writer refuses what it cannot write.
TEST(GgufWrite, RefusesRowsThatAreNotWholeBlocks) {
  TempDir dir;
  const std::vector<float> v(48, 1.0f);
  expect_error<InputError>([&] { write_gguf(dir.file("w.gguf"), {}, {{"w", GgmlType::Q8_0, {1, 48}, v.data(), nullptr}}); },
                           {"'w'", "48", "Q8_0"});
  expect_error<InputError>([&] { write_gguf(dir.file("w.gguf"), {}, {{"w", GgmlType::F32, {1, 1, 1, 1, 48}, v.data(), nullptr}}); },
                           {"1..4 dimensions"});
}

// ---- bad files: each refused with one line naming the file and the field or tensor ---------------------------

TEST(GgufBadFile, TheValidBaseOpens) {
  TempDir dir;
  write_bytes(dir.file("ok.gguf"), valid_raw().build());
  const GgufFile f(dir.file("ok.gguf"));
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.find_tensor("b")->nbytes, 34u);
}

// A FIFO or a device named as a GGUF file is refused before anything reads from it (opening a FIFO for reading
// would otherwise wait for a writer forever).
TEST(GgufBadFile, NotARegularFile) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo.gguf").c_str(), 0600), 0);
  expect_error<IoError>([&] { GgufFile f(dir.file("fifo.gguf")); }, {"GGUF file", "fifo.gguf", "is a FIFO"});
  expect_error<IoError>([&] { GgufFile f("/dev/zero"); }, {"GGUF file /dev/zero", "a character device, not a regular file"});
  expect_error<IoError>([&] { GgufFile f(dir.path().string()); }, {"a directory, not a regular file"});
}

// Every prefix of a valid file is refused (never a crash): truncated at every section.
TEST(GgufBadFile, TruncatedAnywhere) {
  TempDir dir;
  const std::string full = valid_raw().build();
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE("truncated to " + std::to_string(n) + " bytes");
    expect_error([&] { open_bytes(dir, full.substr(0, n)); }, {"x.gguf"});
  }
}

TEST(GgufBadFile, Header) {
  TempDir dir;
  RawGguf r = valid_raw();
  r.magic = 0x4C4C4747;
  expect_error([&] { open_bytes(dir, r.build()); }, {"x.gguf: header", "magic"});
  r = valid_raw(), r.version = 1;
  expect_error([&] { open_bytes(dir, r.build()); }, {"version 1", "not supported"});
  r = valid_raw(), r.version = 0x03000000;
  expect_error([&] { open_bytes(dir, r.build()); }, {"big-endian"});
  r = valid_raw(), r.kv_count = 1ull << 60;
  expect_error([&] { open_bytes(dir, r.build()); }, {"metadata count", "cannot fit"});
  r = valid_raw(), r.tensor_count = 1ull << 62;
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor count", "cannot fit"});
  r = valid_raw(), r.tensor_count = 3;  // one more tensor than there are infos: runs into the data
  expect_error([&] { open_bytes(dir, r.build()); }, {"x.gguf"});
}

TEST(GgufBadFile, Metadata) {
  TempDir dir;
  RawGguf r = valid_raw();
  r.kvs[0].second = le<uint32_t>(8) + le<uint64_t>(1ull << 40);  // a string length past the end
  expect_error([&] { open_bytes(dir, r.build()); }, {"'general.architecture'", "string length", "runs past the end"});
  r = valid_raw(), r.kvs[0].second = le<uint32_t>(13) + "x";  // value type 13
  expect_error([&] { open_bytes(dir, r.build()); }, {"'general.architecture'", "value type 13"});
  r = valid_raw(), r.kvs.push_back({"general.architecture", kv_str("x")});
  expect_error([&] { open_bytes(dir, r.build()); }, {"'general.architecture'", "appears twice"});
  r = valid_raw(), r.kvs.push_back({"big", le<uint32_t>(9) + le<uint32_t>(6) + le<uint64_t>(1ull << 61)});
  expect_error([&] { open_bytes(dir, r.build()); }, {"'big'", "array of", "runs past the end"});
  r = valid_raw(), r.kvs.push_back({"bad", le<uint32_t>(9) + le<uint32_t>(20) + le<uint64_t>(1)});
  expect_error([&] { open_bytes(dir, r.build()); }, {"'bad'", "element type 20"});
  std::string deep = le<uint32_t>(9);  // arrays nested 10 deep
  for (int k = 0; k < 10; ++k) deep += le<uint32_t>(9) + le<uint64_t>(1);
  r = valid_raw(), r.kvs.push_back({"deep", deep + le<uint32_t>(0) + le<uint64_t>(0)});
  expect_error([&] { open_bytes(dir, r.build()); }, {"'deep'", "nested more than 8"});
  r = valid_raw(), r.kvs.push_back({"flag", le<uint32_t>(7) + std::string(1, '\x05')});
  expect_error([&] { open_bytes(dir, r.build()); }, {"'flag'", "bool"});
  r = valid_raw(), r.kvs[1].second = kv_str("32");  // general.alignment of the wrong type
  expect_error([&] { open_bytes(dir, r.build()); }, {"'general.alignment'", "string, not a u32"});
  r = valid_raw(), r.kvs[1].second = kv_u32(24);
  expect_error([&] { open_bytes(dir, r.build()); }, {"'general.alignment'", "not a power of two"});
}

TEST(GgufBadFile, TensorInfos) {
  TempDir dir;
  RawGguf r = valid_raw();
  r.tensors[0].type = 2;  // Q4_0: a ggml type this project does not read
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "type 2", "not one this project reads"});
  r = valid_raw(), r.tensors[0].type = 99;
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "type 99"});
  r = valid_raw(), r.tensors[0].dims = {32, 1, 1, 1, 2};
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "n_dims 5"});
  r = valid_raw(), r.tensors[0].dims = {32, 0};
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "dimension 1 is 0"});
  r = valid_raw(), r.tensors[0].dims = {1ull << 32, 1ull << 32};
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "overflows"});
  r = valid_raw(), r.tensors[0].dims = {1ull << 30, 1ull << 30};  // numel and bytes fit int64, not the file
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "runs past the end of the data"});
  r = valid_raw(), r.tensors[1].dims = {33};
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'b'", "33", "Q8_0 blocks"});
  r = valid_raw(), r.tensors[1].name = "a";
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'a'", "appears twice"});
  r = valid_raw(), r.tensors[1].name = std::string(64, 'n');
  expect_error([&] { open_bytes(dir, r.build()); }, {"name is 64 bytes"});
  r = valid_raw(), r.tensors[1].offset = 260;  // not a multiple of 32
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'b'", "offset 260", "misaligned"});
  r = valid_raw(), r.tensors[1].offset = 224;  // inside "a" [0, 256)
  expect_error([&] { open_bytes(dir, r.build()); }, {"'a' [0, 256)", "'b' [224, 258)", "overlap"});
  r = valid_raw(), r.tensors[1].offset = 1ull << 62;
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'b'", "runs past the end of the data"});
  r = valid_raw(), r.data_bytes = 289;  // the last byte of "b" missing
  expect_error([&] { open_bytes(dir, r.build()); }, {"tensor 'b'", "runs past the end of the data section (289 bytes"});
}

// ---- the Qwen3 model ----------------------------------------------------------------------------------------

// The tiny model written as GGUF F32 (and BF16/F16/Q8_0: its rows of 64, 128 and 192 values are whole Q8_0 blocks)
// loads as the safetensors path does: F32 gives the same embeddings (<= 1e-6; the weights are the same bits), the
// others exactly the embeddings of their own dequantised weights.
TEST(GgufModel, TinyModelMatchesSafetensors) {
  const std::string tiny = test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(tiny + "/config.json");
  TempDir dir;
  const ModelConfig c = load_model_config(tiny);
  HostWeights w = load_model_weights(tiny, c);
  const Tokenizer tok = load_model_tokenizer(tiny);
  const auto reference = cpu::CpuBackend::from_dir(tiny);
  const std::vector<float> want = embed_ids(*reference);

  for (GgmlType type : {GgmlType::F32, GgmlType::BF16, GgmlType::F16, GgmlType::Q8_0}) {
    SCOPED_TRACE(block_format(type).name);
    const std::string path = dir.file(std::string("tiny-") + block_format(type).name + ".gguf");
    write_model(path, c, w, type, qwen3_gguf_metadata(c, tok, GgufFileType::ALL_F32, "tiny"));
    const ModelConfig g = load_model_config(path);
    EXPECT_EQ(describe(g), describe(c));
    EXPECT_EQ(static_cast<float>(g.rms_norm_eps), static_cast<float>(c.rms_norm_eps));
    EXPECT_EQ(g.rope_theta, c.rope_theta);
    EXPECT_EQ(g.max_position_embeddings, c.max_position_embeddings);
    const auto backend = cpu::CpuBackend::from_dir(path);
    const std::vector<float> got = embed_ids(*backend);
    ASSERT_EQ(got.size(), want.size());
    if (type == GgmlType::F32) {
      for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i;
    } else {
      // The same model with each 2-D weight replaced by dequantize(quantize(w)) gives exactly these embeddings.
      HostWeights q = w;
      for_each_tensor(c, q, [&](const TensorSpec& s, HostTensor& t) {
        if (s.shape.size() != 2) return;
        const int64_t n = s.shape[1];
        for (int64_t r = 0; r < s.shape[0]; ++r) {
          const std::vector<uint8_t> enc = quantize_row(type, t.data.data() + r * n, n);
          dequantize_row(type, enc.data(), t.data.data() + r * n, n);
        }
      });
      cpu::CpuBackend expect_backend(c, std::move(q));
      EXPECT_EQ(got, embed_ids(expect_backend));
    }
  }
}

// A random model of the shapes the quantised formats need (hidden 256, intermediate 768, head_dim 64): loaded from
// Q8_0 and Q4_K files, every weight is the dequantised quantiser output, and the norms are untouched F32.
TEST(GgufModel, QuantisedRandomModelLoadsItsDequantisedWeights) {
  TempDir dir;
  const ModelConfig c = small_model_config(256, 768, 64, 300);
  HostWeights w = random_host_weights(c, 11);
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_K}) {
    SCOPED_TRACE(block_format(type).name);
    const std::string path = dir.file("q.gguf");
    write_model(path, c, w, type, small_metadata(c));
    const GgufFile f(path);
    EXPECT_EQ(f.find_tensor("blk.1.ffn_down.weight")->dims, (std::vector<int64_t>{768, 256}));
    EXPECT_EQ(f.find_tensor("blk.1.ffn_down.weight")->type, type);
    EXPECT_EQ(f.find_tensor("blk.0.attn_q_norm.weight")->type, GgmlType::F32);
    const ModelConfig g = gguf_model_config(f);
    EXPECT_EQ(describe(g), describe(c));
    HostWeights got = load_gguf_host_weights(f, g);
    HostWeights want = w;
    double err = 0, norm = 0;
    for_each_tensor(c, want, [&](const TensorSpec& s, HostTensor& t) {
      if (s.shape.size() != 2) return;
      const int64_t n = s.shape[1];
      for (int64_t r = 0; r < s.shape[0]; ++r) {
        const std::vector<uint8_t> enc = quantize_row(type, t.data.data() + r * n, n);
        dequantize_row(type, enc.data(), t.data.data() + r * n, n);
      }
    });
    for_each_tensor(c, got, [&](const TensorSpec& s, HostTensor& t) {
      const HostTensor* expect = nullptr;
      const HostTensor* orig = nullptr;
      for_each_tensor(c, want, [&](const TensorSpec& s2, HostTensor& t2) { if (s2.name == s.name) expect = &t2; });
      for_each_tensor(c, w, [&](const TensorSpec& s2, HostTensor& t2) { if (s2.name == s.name) orig = &t2; });
      ASSERT_EQ(t.data, expect->data) << s.name;
      for (size_t i = 0; i < t.data.size(); ++i) {
        err += (t.data[i] - orig->data[i]) * (t.data[i] - orig->data[i]);
        norm += orig->data[i] * orig->data[i];
      }
    });
    // Not a tolerance test (core/quant's tests are): a sanity check that the values are the model's, not noise.
    EXPECT_LT(std::sqrt(err / norm), type == GgmlType::Q8_0 ? 0.01 : 0.1);
  }
}

TEST(GgufModel, NameMapping) {
  EXPECT_EQ(gguf_tensor_name("model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(gguf_tensor_name("model.norm.weight"), "output_norm.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.12.self_attn.o_proj.weight"), "blk.12.attn_output.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.0.post_attention_layernorm.weight"), "blk.0.ffn_norm.weight");
  EXPECT_EQ(gguf_tensor_name("model.layers.3.self_attn.k_norm.weight"), "blk.3.attn_k_norm.weight");
  EXPECT_THROW(gguf_tensor_name("lm_head.weight"), InputError);
}

// Model-level problems, each one line naming the file and the tensor or key.
TEST(GgufModel, BadModels) {
  TempDir dir;
  const ModelConfig c = small_model_config(32, 64, 16, 40);
  HostWeights w = random_host_weights(c, 3);
  const std::string path = dir.file("m.gguf");
  const auto load = [&] {
    const GgufFile f(path);
    load_gguf_host_weights(f, gguf_model_config(f));
  };
  const auto set = [](Meta& m, const std::string& key, GgufValue v) {
    for (auto& kv : m)
      if (kv.first == key) { kv.second = std::move(v); return; }
    m.push_back({key, std::move(v)});
  };
  const auto erase = [](Meta& m, const std::string& key) {
    std::erase_if(m, [&](const auto& kv) { return kv.first == key; });
  };

  write_model(path, c, w, GgmlType::F32, small_metadata(c));
  EXPECT_NO_THROW(load());

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [](Meta&, std::vector<GgufTensorToWrite>& t) {
    std::erase_if(t, [](const GgufTensorToWrite& x) { return x.name == "blk.1.ffn_up.weight"; });
  });
  expect_error<ShapeError>(load, {"missing tensor blk.1.ffn_up.weight", "model.layers.1.mlp.up_proj.weight", "m.gguf"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [](Meta&, std::vector<GgufTensorToWrite>& t) {
    for (auto& x : t)
      if (x.name == "blk.0.attn_k.weight") x.shape = {16, 32};  // [NKV*D, H] is [32, 32]
  });
  expect_error<ShapeError>(load, {"m.gguf", "'blk.0.attn_k.weight'", "[16, 32]", "needs [32, 32]"});

  // A tokenizer of 41 tokens in front of a 40-row embedding.
  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, std::vector<GgufTensorToWrite>&) {
    std::vector<std::string> tokens(41, "x");
    set(m, "tokenizer.ggml.tokens", GgufValue::string_array(tokens));
  });
  expect_error(load, {"m.gguf", "41 tokens", "token_embd.weight has 40 rows"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "general.architecture", GgufValue::string("llama")); });
  expect_error(load, {"m.gguf", "'general.architecture'", "\"llama\"", "expected \"qwen3\""});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "qwen3.block_count", GgufValue::string("2")); });
  expect_error(load, {"m.gguf", "'qwen3.block_count'", "string, not an integer"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "qwen3.rope.freq_base", GgufValue::u32(10000)); });
  expect_error(load, {"'qwen3.rope.freq_base'", "u32, not a float"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { erase(m, "qwen3.attention.layer_norm_rms_epsilon"); });
  expect_error(load, {"'qwen3.attention.layer_norm_rms_epsilon'", "missing"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "qwen3.pooling_type", GgufValue::u32(1)); });
  expect_error(load, {"'qwen3.pooling_type'", "1 (mean)", "last token"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "qwen3.attention.head_count_kv", GgufValue::u32(3)); });
  expect_error(load, {"m.gguf", "num_attention_heads (4) is not a multiple of num_key_value_heads (3)"});

  write_model(path, c, w, GgmlType::F32, small_metadata(c), [&](Meta& m, auto&) { set(m, "qwen3.attention.value_length", GgufValue::u32(8)); });
  expect_error(load, {"key_length", "value_length", "differ"});
}

// ---- the tokenizer from GGUF metadata -------------------------------------------------------------------------

// A GGUF carrying the real tokenizer's vocabulary and merges gives the same ids as tokenizer.json on the whole
// tokenizer corpus, and the same pieces back.
TEST(GgufTokenizer, SameIdsAsTokenizerJson) {
  QWEN3_REQUIRE_PATH(test::tokenizer_dir() + "/tokenizer.json");
  TempDir dir;
  const Tokenizer json_tok = Tokenizer::from_dir(test::tokenizer_dir());
  const ModelConfig c = small_model_config(32, 64, 16, static_cast<int64_t>(json_tok.vocab_size()) + 3);  // 3 unused ids
  write_gguf(dir.file("tok.gguf"), qwen3_gguf_metadata(c, json_tok, GgufFileType::ALL_F32, "tok"), {});
  const GgufFile f(dir.file("tok.gguf"));
  EXPECT_EQ(f.require_array("tokenizer.ggml.tokens", GgufType::STRING).strings.back(),
            "[PAD" + std::to_string(c.vocab_size - 1) + "]");
  const Tokenizer gguf_tok = Tokenizer::from_gguf(f);
  EXPECT_EQ(gguf_tok.vocab_size(), static_cast<size_t>(c.vocab_size));
  EXPECT_EQ(gguf_tok.token_to_id("<|endoftext|>"), kEndOfTextId);
  EXPECT_EQ(gguf_tok.token_to_id("<think>"), json_tok.token_to_id("<think>"));

  std::istringstream lines(test::read_file(test::test_data("tokenizer_corpus.jsonl")));
  int texts = 0, failures = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string text = nlohmann::json::parse(line).at("text").get<std::string>();
    ++texts;
    const auto want = json_tok.encode_for_embedding(text);
    const auto got = gguf_tok.encode_for_embedding(text);
    if (got != want && ++failures <= 3) ADD_FAILURE() << "corpus text " << texts << " tokenises differently";
  }
  EXPECT_GT(texts, 400);
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(gguf_tok.decode(gguf_tok.encode("Hello, world <|im_start|> é")), "Hello, world <|im_start|> é");
}

TEST(GgufTokenizer, BadTokenizerMetadata) {
  TempDir dir;
  const ModelConfig c = small_model_config(32, 64, 16, 40);
  const std::string path = dir.file("t.gguf");
  const auto with = [&](const std::string& key, GgufValue v) {
    Meta m = small_metadata(c);
    for (auto& kv : m)
      if (kv.first == key) kv.second = std::move(v);
    write_gguf(path, m, {});
    return [path] { Tokenizer::from_gguf(GgufFile(path)); };
  };
  expect_error(with("tokenizer.ggml.model", GgufValue::string("llama")), {"t.gguf", "tokenizer.ggml.model", "only gpt2"});
  expect_error(with("tokenizer.ggml.pre", GgufValue::string("llama3")), {"tokenizer.ggml.pre", "only qwen2"});
  expect_error(with("tokenizer.ggml.token_type", GgufValue::i32_array({1, 1})), {"token_type", "2 entries", "40"});
  expect_error(with("tokenizer.ggml.tokens", GgufValue::i32_array(std::vector<int32_t>(40, 1))),
               {"'tokenizer.ggml.tokens'", "array of i32, not of string"});
  std::vector<int32_t> types(40, 1);
  types[7] = 6;
  expect_error(with("tokenizer.ggml.token_type", GgufValue::i32_array(types)), {"token_type[7]", "type 6"});
  // The made-up vocabulary lacks the 256 byte tokens byte-level BPE needs.
  expect_error(with("tokenizer.ggml.merges", GgufValue::string_array({})), {"tokenizer.ggml.tokens", "no token for byte"});
}

// ---- where --model points ---------------------------------------------------------------------------------------

TEST(GgufModelDir, DirectoryWithOneGguf) {
  TempDir dir;
  const ModelConfig c = small_model_config(32, 64, 16, 40);
  HostWeights w = random_host_weights(c, 3);
  std::filesystem::create_directory(dir.path() / "one");
  write_model(dir.file("one/m.gguf"), c, w, GgmlType::F16, small_metadata(c));
  EXPECT_EQ(gguf_file_of(dir.file("one")), dir.file("one/m.gguf"));
  EXPECT_EQ(describe(load_model_config(dir.file("one"))), describe(c));
  std::filesystem::copy_file(dir.file("one/m.gguf"), dir.file("one/n.gguf"));
  expect_error<IoError>([&] { load_model_config(dir.file("one")); }, {"2 .gguf files", "m.gguf", "n.gguf", "--model FILE.gguf"});
  std::filesystem::create_directory(dir.path() / "none");
  expect_error<IoError>([&] { load_model_config(dir.file("none")); }, {"has no config.json"});
  test::write_file(dir.file("text.gguf"), "not a gguf file at all");
  expect_error([&] { load_model_config(dir.file("text.gguf")); }, {"text.gguf: header", "magic"});
}

// ---- the command line ---------------------------------------------------------------------------------------------

TEST(GgufCli, BadGgufIsOneErrorLine) {
  TempDir dir;
  RawGguf r = valid_raw();
  r.tensors[1].offset = 260;
  write_bytes(dir.file("bad.gguf"), r.build());
  const auto res = test::run_command(test::cli_path() + " embed --model " + test::shell_quote(dir.file("bad.gguf")) + " hello");
  EXPECT_EQ(res.status, 1);
  EXPECT_EQ(res.err.rfind("error: ", 0), 0u) << res.err;
  EXPECT_NE(res.err.find("misaligned"), std::string::npos) << res.err;
  EXPECT_EQ(std::count(res.err.begin(), res.err.end(), '\n'), 1) << res.err;
  EXPECT_TRUE(res.out.empty());
}

// quantize writes a GGUF that embed reads back; the F32 file gives the safetensors embeddings; a type whose blocks
// do not divide the rows is refused before anything is written.
TEST(GgufCli, QuantizeThenEmbed) {
  const std::string tiny = test::tiny_model_dir();
  QWEN3_REQUIRE_PATH(tiny + "/config.json");
  TempDir dir;
  const std::string q = test::cli_path() + " quantize --model " + test::shell_quote(tiny);
  auto res = test::run_command(q + " --type f32 --out " + test::shell_quote(dir.file("t.gguf")));
  ASSERT_EQ(res.status, 0) << res.err;
  const auto embed = [&](const std::string& model) {
    const auto r = test::run_command(test::cli_path() + " embed --model " + test::shell_quote(model) + " 'GGUF, at last'");
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out).at("embedding").get<std::vector<float>>();
  };
  const std::vector<float> a = embed(tiny), b = embed(dir.file("t.gguf"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-6);

  res = test::run_command(q + " --type q4_k --out " + test::shell_quote(dir.file("q4.gguf")));
  EXPECT_EQ(res.status, 1);
  EXPECT_NE(res.err.find("error: --type q4_k stores rows in blocks of 256"), std::string::npos) << res.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("q4.gguf")));
  res = test::run_command(q + " --type q5_k --out " + test::shell_quote(dir.file("q5.gguf")));
  EXPECT_EQ(res.status, 1);
  EXPECT_NE(res.err.find("error: --type: expected q8_0, q4_k, f32, f16 or bf16"), std::string::npos) << res.err;
}

// quantize takes random weights as bench does (--random-weights --config), with the same one-line refusals when the
// source options disagree; nothing is written then.
TEST(GgufCli, QuantizeRandomWeightsSourceChecks) {
  TempDir dir;
  const std::string out = " --out " + test::shell_quote(dir.file("r.gguf"));
  test::expect_one_line_error(test::run_cli("quantize --random-weights" + out), "--random-weights needs --config",
                              "no --config");
  test::expect_one_line_error(test::run_cli("quantize --config 0.6b" + out), "--config needs --random-weights",
                              "no --random-weights");
  test::expect_one_line_error(
      test::run_cli("quantize --random-weights --config 0.6b --model " + test::shell_quote(dir.file("m")) + out),
      "--model and --random-weights exclude each other", "both sources");
  EXPECT_FALSE(std::filesystem::exists(dir.file("r.gguf")));
}

}  // namespace
}  // namespace qwen3
