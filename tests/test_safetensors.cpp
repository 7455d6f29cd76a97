// Tests for core/safetensors: dtype conversions, the writer (layout and determinism), the memory-mapped
// reader (round trips, unaligned data, every malformed-header case), checkpoint directories (single file,
// shards + index), and the real peer checkpoint when setup.sh has fetched it.
#include "core/safetensors.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "tests/test_util.h"

namespace qwen3 {
namespace {

using test::read_file;
using test::TempDir;
using test::write_file;

// ---- helpers ----------------------------------------------------------------------------------------

// The 8 little-endian bytes of v.
std::string u64le(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// Writes a hand-made safetensors file: [u64 LE header length][header][data].
void write_raw(const std::string& path, const std::string& header, const std::string& data) {
  write_file(path, u64le(header.size()) + header + data);
}

// Runs f, expects it to throw exactly E (not another qwen3 error), and returns the message ("" otherwise).
template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong type; message: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

// Expects `msg` to contain every phrase, and to be one line.
void expect_phrases(const std::string& msg, std::initializer_list<const char*> phrases) {
  for (const char* p : phrases) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

// Opens `path` expecting a FormatError whose message holds every phrase (and the file name).
void expect_format_error(const std::string& path, std::initializer_list<const char*> phrases) {
  const std::string msg = error_of<FormatError>([&] { SafetensorsFile f(path); });
  expect_phrases(msg, phrases);
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
}

float f32_bits(uint32_t b) { return std::bit_cast<float>(b); }
uint32_t bits_f32(float f) { return std::bit_cast<uint32_t>(f); }

// Raw u16 element i of a 2-byte tensor (data may be unaligned).
uint16_t u16_at(const TensorView& t, size_t i) {
  uint16_t v;
  std::memcpy(&v, t.data + 2 * i, 2);
  return v;
}

// ---- dtype conversions ------------------------------------------------------------------------------

TEST(DType, NamesAndSizes) {
  EXPECT_STREQ(dtype_name(DType::F32), "F32");
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_STREQ(dtype_name(DType::F16), "F16");
  EXPECT_EQ(dtype_size(DType::F32), 4u);
  EXPECT_EQ(dtype_size(DType::BF16), 2u);
  EXPECT_EQ(dtype_size(DType::F16), 2u);
}

TEST(Conversion, Bf16KnownPatterns) {
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_f32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(bf16_to_f32(0x8000)));
  EXPECT_EQ(bf16_to_f32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(f32_to_bf16(-2.0f), 0xC000);
  // Ties go to the even neighbour: 0x3F80_8000 is halfway between 0x3F80 (even) and 0x3F81.
  EXPECT_EQ(f32_to_bf16(f32_bits(0x3F808000u)), 0x3F80);
  EXPECT_EQ(f32_to_bf16(f32_bits(0x3F818000u)), 0x3F82);  // halfway between 0x3F81 and 0x3F82 (even)
  EXPECT_EQ(f32_to_bf16(f32_bits(0x3F808001u)), 0x3F81);  // just above halfway: up
  EXPECT_EQ(f32_to_bf16(f32_bits(0x3F807FFFu)), 0x3F80);  // just below: down
  EXPECT_EQ(f32_to_bf16(f32_bits(0xBF808001u)), 0xBF81);  // negative values round by magnitude
  // Infinities stay, the largest float rounds up to infinity, NaN (even one with only low payload bits,
  // which naive rounding would turn into an infinity) stays NaN.
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f32_bits(0x7F800001u)))));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f32_bits(0xFF800001u)))));
}

TEST(Conversion, Bf16EveryPatternRoundTrips) {
  for (uint32_t b = 0; b <= 0xFFFF; ++b) {
    const float f = bf16_to_f32(static_cast<uint16_t>(b));
    EXPECT_EQ(bits_f32(f), b << 16);
    if (!std::isnan(f)) {
      EXPECT_EQ(f32_to_bf16(f), b) << std::hex << b;
    }
  }
}

TEST(Conversion, F16KnownPatterns) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);  // largest finite
  EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7C01)));  // signalling-pattern NaN stays NaN
  EXPECT_EQ(f16_to_f32(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
  EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
}

// Every f16 pattern against the definition: (-1)^s * 2^(e-15) * 1.m, or 2^-14 * 0.m for e = 0.
TEST(Conversion, F16EveryPatternMatchesDefinition) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const int s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
    const float got = f16_to_f32(static_cast<uint16_t>(h));
    if (e == 31) {
      if (m == 0) {
        EXPECT_TRUE(std::isinf(got) && std::signbit(got) == (s == 1)) << std::hex << h;
      } else {
        EXPECT_TRUE(std::isnan(got)) << std::hex << h;
      }
      continue;
    }
    const double mag = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
    const float want = static_cast<float>(s ? -mag : mag);
    EXPECT_EQ(bits_f32(got), bits_f32(want)) << std::hex << h;
  }
}

// ---- writer + reader round trip ---------------------------------------------------------------------

// A set of tensors of every dtype, including a 0-dim scalar and a shape with a zero dimension.
struct Sample {
  std::vector<float> a{1.0f, -2.5f, 3.25f, 1e-30f, 7.0f, -0.0f};  // F32 [2, 3]
  std::vector<float> b{1.0f, 1.00390625f, 3.14159265f, -1e10f, 65504.0f, 1e-3f, -7.77f, 0.1f};  // BF16 [8]
  std::vector<float> c{0.5f, -1.0f, 3.14159265f, 6e-8f, 70000.0f, 2049.0f};  // F16 [3, 2]
  std::vector<float> scalar{42.5f};  // F32 []
  std::vector<TensorToWrite> tensors() const {
    return {{"a.f32", DType::F32, {2, 3}, a.data()},
            {"b.bf16", DType::BF16, {8}, b.data()},
            {"c.f16", DType::F16, {3, 2}, c.data()},
            {"scalar", DType::F32, {}, scalar.data()},
            {"empty.bf16", DType::BF16, {0, 4}, nullptr}};
  }
};

TEST(SafetensorsRoundTrip, EveryDtypeScalarAndEmpty) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  Sample s;
  write_safetensors(path, s.tensors(), {{"note", "hello"}});

  SafetensorsFile f(path);
  ASSERT_EQ(f.tensors().size(), 5u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("note"), "hello");
  // tensors() keeps the header (= write) order.
  EXPECT_EQ(f.tensors()[0].name, "a.f32");
  EXPECT_EQ(f.tensors()[4].name, "empty.bf16");

  const TensorView* a = f.find("a.f32");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numel(), 6);
  EXPECT_EQ(a->nbytes, 24u);
  EXPECT_EQ(a->file, path);
  const std::vector<float> av = to_f32(*a);
  for (size_t i = 0; i < s.a.size(); ++i) EXPECT_EQ(bits_f32(av[i]), bits_f32(s.a[i])) << i;  // exact, -0 too

  const TensorView* b = f.find("b.bf16");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::BF16);
  EXPECT_EQ(b->nbytes, 16u);
  const std::vector<float> bv = to_f32(*b);
  for (size_t i = 0; i < s.b.size(); ++i) EXPECT_EQ(bv[i], bf16_to_f32(f32_to_bf16(s.b[i]))) << i;

  // F16: expected values worked out by hand (round to nearest even in binary16).
  const TensorView* c = f.find("c.f16");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->dtype, DType::F16);
  EXPECT_EQ(c->shape, (std::vector<int64_t>{3, 2}));
  const std::vector<float> cv = to_f32(*c);
  EXPECT_EQ(cv[0], 0.5f);
  EXPECT_EQ(cv[1], -1.0f);
  EXPECT_EQ(cv[2], 3.140625f);                   // pi: 0x4248
  EXPECT_EQ(cv[3], std::ldexp(1.0f, -24));       // 6e-8 is nearest the smallest subnormal 5.96e-8
  EXPECT_EQ(cv[4], std::numeric_limits<float>::infinity());  // above 65520 overflows
  EXPECT_EQ(cv[5], 2048.0f);                     // 2049 is a tie between 2048 (even) and 2050

  const TensorView* sc = f.find("scalar");
  ASSERT_NE(sc, nullptr);
  EXPECT_TRUE(sc->shape.empty());
  EXPECT_EQ(sc->numel(), 1);
  EXPECT_EQ(to_f32(*sc), std::vector<float>{42.5f});

  const TensorView* e = f.find("empty.bf16");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->shape, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(e->numel(), 0);
  EXPECT_EQ(e->nbytes, 0u);
  EXPECT_TRUE(to_f32(*e).empty());

  EXPECT_EQ(f.find("nope"), nullptr);
}

TEST(SafetensorsRoundTrip, ByteIdenticalWhenWrittenTwice) {
  TempDir dir;
  Sample s;
  write_safetensors(dir.file("1.safetensors"), s.tensors(), {{"x", "1"}, {"a", "2"}});
  write_safetensors(dir.file("2.safetensors"), s.tensors(), {{"x", "1"}, {"a", "2"}});
  const std::string first = read_file(dir.file("1.safetensors"));
  EXPECT_EQ(first, read_file(dir.file("2.safetensors")));
  write_safetensors(dir.file("1.safetensors"), s.tensors(), {{"x", "1"}, {"a", "2"}});  // over itself
  EXPECT_EQ(first, read_file(dir.file("1.safetensors")));
}

// The bytes follow the format's rules as Hugging Face's loader checks them: header length a multiple of 8,
// header starting with '{', "__metadata__" first, data_offsets relative to the header end, contiguous from
// 0 in write order, the last one ending at the end of the file.
TEST(SafetensorsWriter, LayoutFollowsTheFormat) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  Sample s;
  write_safetensors(path, s.tensors());
  const std::string bytes = read_file(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_LE(8 + n, bytes.size());
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.front(), '{');
  const auto h = nlohmann::ordered_json::parse(header);
  std::vector<std::string> keys;
  for (const auto& [k, v] : h.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"__metadata__", "a.f32", "b.bf16", "c.f16", "scalar", "empty.bf16"}));
  EXPECT_EQ(h["__metadata__"], nlohmann::ordered_json({{"format", "pt"}}));
  EXPECT_EQ(h["b.bf16"]["dtype"], "BF16");
  EXPECT_EQ(h["scalar"]["shape"], nlohmann::ordered_json::array());
  uint64_t expected_begin = 0;
  for (size_t i = 1; i < keys.size(); ++i) {
    const auto& off = h[keys[i]]["data_offsets"];
    EXPECT_EQ(off[0].get<uint64_t>(), expected_begin) << keys[i];
    expected_begin = off[1].get<uint64_t>();
  }
  EXPECT_EQ(8 + n + expected_begin, bytes.size());
  // The first tensor's bytes sit right after the header.
  float first;
  std::memcpy(&first, bytes.data() + 8 + n, 4);
  EXPECT_EQ(first, 1.0f);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// f32 -> f16 in the writer: every finite f16 value survives exactly; ties, overflow, subnormals round as
// IEEE says.
TEST(SafetensorsWriter, F16RoundingBitPatterns) {
  std::vector<float> exact;
  std::vector<uint16_t> exact_bits;
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    if (((h >> 10) & 31) == 31) continue;  // inf / NaN checked below
    exact.push_back(f16_to_f32(static_cast<uint16_t>(h)));
    exact_bits.push_back(static_cast<uint16_t>(h));
  }
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special{
      1.0f + std::ldexp(1.0f, -11),      // tie between 1.0 (even) and 1 + 2^-10 -> 0x3C00
      1.0f + 3 * std::ldexp(1.0f, -11),  // tie between 0x3C01 and 0x3C02 (even) -> 0x3C02
      std::ldexp(1.0f, -25),             // tie between 0 and the smallest subnormal -> 0
      std::ldexp(3.0f, -25),             // tie between subnormals 1 and 2 -> 0x0002
      std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26),  // just below the smallest normal: rounds up to 0x0400
      65519.0f,                          // below halfway to 65536: 65504
      65520.0f,                          // halfway: ties to even = inf
      1e-30f,                            // underflow to +0
      -1e-30f,                           // ... and -0
      inf, -inf, std::numeric_limits<float>::quiet_NaN(), -1.0f};
  const std::vector<uint16_t> special_bits{0x3C00, 0x3C02, 0x0000, 0x0002, 0x0400, 0x7BFF, 0x7C00,
                                           0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xBC00};
  TempDir dir;
  const std::string path = dir.file("f16.safetensors");
  write_safetensors(path, {{"exact", DType::F16, {static_cast<int64_t>(exact.size())}, exact.data()},
                           {"special", DType::F16, {static_cast<int64_t>(special.size())}, special.data()}});
  SafetensorsFile f(path);
  const TensorView& e = *f.find("exact");
  for (size_t i = 0; i < exact_bits.size(); ++i) EXPECT_EQ(u16_at(e, i), exact_bits[i]) << std::hex << exact_bits[i];
  const TensorView& s = *f.find("special");
  for (size_t i = 0; i < special_bits.size(); ++i) {
    if (std::isnan(special[i])) {
      EXPECT_TRUE(std::isnan(f16_to_f32(u16_at(s, i))));
    } else {
      EXPECT_EQ(u16_at(s, i), special_bits[i]) << i;
    }
  }
}

TEST(SafetensorsWriter, UnwritableDirectoryIsIoError) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/t.safetensors");
  Sample s;
  const std::string msg = error_of<IoError>([&] { write_safetensors(path, s.tensors()); });
  expect_phrases(msg, {"no-such-dir/t.safetensors.tmp"});
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SafetensorsWriter, BadInputIsInputError) {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  const float v[2] = {1, 2};
  expect_phrases(error_of<InputError>([&] {
                   write_safetensors(path, {{"x", DType::F32, {2}, v}, {"x", DType::F32, {2}, v}});
                 }),
                 {"'x'", "twice"});
  expect_phrases(error_of<InputError>([&] { write_safetensors(path, {{"x", DType::F32, {-2}, v}}); }),
                 {"'x'", "negative"});
  expect_phrases(error_of<InputError>([&] { write_safetensors(path, {{"__metadata__", DType::F32, {2}, v}}); }),
                 {"reserved"});
  expect_phrases(error_of<InputError>([&] { write_safetensors(path, {{"x", DType::F32, {2}, nullptr}}); }),
                 {"'x'", "null"});
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

// ---- reader details ---------------------------------------------------------------------------------

// Offsets need not be aligned: an F32 at byte 2 and a BF16 at byte 1 of the data section.
TEST(SafetensorsReader, UnalignedData) {
  TempDir dir;
  const std::string path = dir.file("u.safetensors");
  const std::string header =
      R"({"b":{"dtype":"BF16","shape":[1],"data_offsets":[1,3]},"a":{"dtype":"F32","shape":[2],"data_offsets":[3,11]}})";
  std::string data(11, '\0');
  const uint16_t one_bf16 = 0x3F80;
  const float a[2] = {1.5f, -3.0f};
  std::memcpy(&data[1], &one_bf16, 2);
  std::memcpy(&data[3], a, 8);
  write_raw(path, header + "   ", data);  // an odd header length too (trailing spaces are allowed)
  SafetensorsFile f(path);
  EXPECT_EQ(to_f32(*f.find("b")), std::vector<float>{1.0f});
  EXPECT_EQ(to_f32(*f.find("a")), (std::vector<float>{1.5f, -3.0f}));
  EXPECT_TRUE(f.metadata().empty());
}

TEST(SafetensorsReader, MissingFileIsIoError) {
  TempDir dir;
  expect_phrases(error_of<IoError>([&] { SafetensorsFile f(dir.file("absent.safetensors")); }),
                 {"absent.safetensors"});
  expect_phrases(error_of<IoError>([&] { SafetensorsFile f(dir.path().string()); }), {"not a regular file"});
}

// ---- malformed files: one test per case -------------------------------------------------------------

const char* kF32x2 = R"("dtype":"F32","shape":[2])";  // an 8-byte tensor

TEST(SafetensorsMalformed, EmptyFile) {
  TempDir dir;
  write_file(dir.file("m.safetensors"), "");
  expect_format_error(dir.file("m.safetensors"), {"truncated"});
}

TEST(SafetensorsMalformed, FiveByteFile) {
  TempDir dir;
  write_file(dir.file("m.safetensors"), std::string("\x05\0\0\0\0", 5));
  expect_format_error(dir.file("m.safetensors"), {"truncated", "5 bytes"});
}

TEST(SafetensorsMalformed, HeaderLengthLargerThanFile) {
  TempDir dir;
  write_file(dir.file("m.safetensors"), u64le(100) + "{}");
  expect_format_error(dir.file("m.safetensors"), {"header length 100", "past the end of the file"});
}

TEST(SafetensorsMalformed, HeaderLengthHuge) {  // would overflow 8 + N
  TempDir dir;
  write_file(dir.file("m.safetensors"), u64le(~0ull) + "{}");
  expect_format_error(dir.file("m.safetensors"), {"header length", "past the end of the file"});
}

TEST(SafetensorsMalformed, HeaderNotJson) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), "{not json", "");
  expect_format_error(dir.file("m.safetensors"), {"not valid JSON"});
}

TEST(SafetensorsMalformed, HeaderIsJsonArray) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), "[1, 2]", "");
  expect_format_error(dir.file("m.safetensors"), {"array", "not an object"});
}

TEST(SafetensorsMalformed, UnknownDtype) {
  TempDir dir;
  for (const char* dt : {"I8", "F64", "Q4", "BOOL", "F8_E4M3"}) {
    write_raw(dir.file("m.safetensors"),
              std::string(R"({"w":{"dtype":")") + dt + R"(","shape":[1],"data_offsets":[0,1]}})", "12345678");
    expect_format_error(dir.file("m.safetensors"), {"unsupported dtype", dt, "'w'"});
  }
}

TEST(SafetensorsMalformed, DtypeNotString) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}})", "1234");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "dtype"});
}

TEST(SafetensorsMalformed, ShapeNotArray) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "shape", "not an array"});
}

TEST(SafetensorsMalformed, ShapeNegativeDimension) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]}})", "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "shape", "negative"});
}

TEST(SafetensorsMalformed, ShapeNotIntegers) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "non-negative integers"});
}

TEST(SafetensorsMalformed, ShapeOverflows) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"),
            R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", "");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "overflows"});
}

TEST(SafetensorsMalformed, MissingField) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":"F32","shape":[2]}})", "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "data_offsets"});
}

TEST(SafetensorsMalformed, DataOffsetsNotTwoIntegers) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), std::string("{\"w\":{") + kF32x2 + R"(,"data_offsets":[0,4,8]}})",
            "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "two non-negative integers"});
}

TEST(SafetensorsMalformed, DataOffsetsPastEnd) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  write_raw(path, R"({"model.norm.weight":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})",
            std::string(256, '\0'));
  expect_format_error(path, {"'model.norm.weight'", "data_offsets [0, 400] run past the end of the data (256 bytes)"});
}

TEST(SafetensorsMalformed, BeginAfterEnd) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), std::string("{\"w\":{") + kF32x2 + R"(,"data_offsets":[8,0]}})",
            "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "[8, 0]", "begin after end"});
}

TEST(SafetensorsMalformed, SizeMismatchWithShape) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}})",
            "12345678");
  expect_format_error(dir.file("m.safetensors"), {"'w'", "size mismatch", "needs 12"});
}

TEST(SafetensorsMalformed, TwoTensorsOverlap) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"),
            std::string("{\"a\":{") + kF32x2 + R"(,"data_offsets":[0,8]},"b":{)" + kF32x2 +
                R"(,"data_offsets":[4,12]}})",
            "123456781234");
  expect_format_error(dir.file("m.safetensors"), {"'a'", "'b'", "overlap"});
}

TEST(SafetensorsMalformed, OverlapHiddenBehindAnotherTensor) {  // c lies inside a, with b between them
  TempDir dir;
  write_raw(dir.file("m.safetensors"),
            R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
            R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]},)"
            R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[10,12]}})",
            std::string(16, '\0'));
  expect_format_error(dir.file("m.safetensors"), {"overlap"});
}

TEST(SafetensorsMalformed, DuplicateTensorName) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"),
            std::string("{\"a\":{") + kF32x2 + R"(,"data_offsets":[0,8]},"a":{)" + kF32x2 +
                R"(,"data_offsets":[8,16]}})",
            std::string(16, '\0'));
  expect_format_error(dir.file("m.safetensors"), {"'a'", "twice"});
}

TEST(SafetensorsMalformed, MetadataValueNotString) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"__metadata__":{"format":"pt","n":3}})", "");
  expect_format_error(dir.file("m.safetensors"), {"__metadata__", "'n'", "not a string"});
}

// ---- checkpoint directories -------------------------------------------------------------------------

// A two-shard checkpoint: shard 1 holds "embed" [3, 2] BF16, shard 2 holds "norm" [2] F32 and "proj" [2, 2] F16.
struct ShardedModel {
  std::vector<float> embed{1, 2, 3, 4, 5, 6}, norm{0.5f, -0.5f}, proj{1, -1, 0.25f, 8};
  explicit ShardedModel(const TempDir& dir) {
    write_safetensors(dir.file("model-00001-of-00002.safetensors"), {{"embed", DType::BF16, {3, 2}, embed.data()}});
    write_safetensors(dir.file("model-00002-of-00002.safetensors"),
                      {{"norm", DType::F32, {2}, norm.data()}, {"proj", DType::F16, {2, 2}, proj.data()}});
    write_file(dir.file("model.safetensors.index.json"), R"({"metadata": {"total_size": 28}, "weight_map": {
      "embed": "model-00001-of-00002.safetensors",
      "norm": "model-00002-of-00002.safetensors",
      "proj": "model-00002-of-00002.safetensors"}})");
  }
};

TEST(SafetensorsCheckpoint, ShardedLayout) {
  TempDir dir;
  ShardedModel m(dir);
  SafetensorsCheckpoint ck(dir.path().string());
  EXPECT_EQ(ck.dir(), dir.path().string());
  EXPECT_EQ(ck.names(), (std::vector<std::string>{"embed", "norm", "proj"}));
  EXPECT_EQ(to_f32(ck.get("embed")), m.embed);
  EXPECT_EQ(to_f32(ck.get("norm")), m.norm);
  EXPECT_EQ(to_f32(ck.get("proj")), m.proj);
  EXPECT_EQ(ck.get("embed").shape, (std::vector<int64_t>{3, 2}));
  EXPECT_NE(ck.get("embed").file.find("model-00001-of-00002.safetensors"), std::string::npos);
  EXPECT_NE(ck.get("proj").file.find("model-00002-of-00002.safetensors"), std::string::npos);
  EXPECT_EQ(ck.find("lm_head.weight"), nullptr);
  const std::string msg = error_of<ShapeError>([&] { ck.get("lm_head.weight"); });
  expect_phrases(msg, {"lm_head.weight", "missing"});
}

TEST(SafetensorsCheckpoint, SingleFile) {
  TempDir dir;
  const float v[3] = {1, 2, 3};
  write_safetensors(dir.file("model.safetensors"), {{"w", DType::F32, {3}, v}});
  SafetensorsCheckpoint ck(dir.path().string());
  EXPECT_EQ(ck.names(), std::vector<std::string>{"w"});
  EXPECT_EQ(to_f32(ck.get("w")), (std::vector<float>{1, 2, 3}));
}

TEST(SafetensorsCheckpoint, IndexNotJson) {
  TempDir dir;
  ShardedModel m(dir);
  write_file(dir.file("model.safetensors.index.json"), "{\"weight_map\": ");
  const std::string msg = error_of<FormatError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"model.safetensors.index.json", "not valid JSON"});
}

TEST(SafetensorsCheckpoint, IndexWithoutWeightMap) {
  TempDir dir;
  ShardedModel m(dir);
  write_file(dir.file("model.safetensors.index.json"), R"({"metadata": {}})");
  const std::string msg = error_of<FormatError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"model.safetensors.index.json", "weight_map"});
}

TEST(SafetensorsCheckpoint, IndexWeightMapNotObject) {
  TempDir dir;
  ShardedModel m(dir);
  write_file(dir.file("model.safetensors.index.json"), R"({"weight_map": ["embed"]})");
  const std::string msg = error_of<FormatError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"weight_map", "not an object"});
}

TEST(SafetensorsCheckpoint, IndexNamesMissingShard) {
  TempDir dir;
  ShardedModel m(dir);
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map": {"embed": "model-00001-of-00002.safetensors", "x": "model-00003-of-00003.safetensors"}})");
  const std::string msg = error_of<IoError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"model-00003-of-00003.safetensors", "does not exist"});
}

TEST(SafetensorsCheckpoint, IndexListsTensorAbsentFromShard) {
  TempDir dir;
  ShardedModel m(dir);
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map": {"embed": "model-00002-of-00002.safetensors"}})");
  const std::string msg = error_of<FormatError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"'embed'", "model-00002-of-00002.safetensors", "absent"});
}

TEST(SafetensorsCheckpoint, TensorInTwoShards) {
  // The index is consistent (each listed tensor is in its shard), but s2 also carries a second "w".
  TempDir dir;
  const float v[2] = {1, 2};
  write_safetensors(dir.file("s1.safetensors"), {{"w", DType::F32, {2}, v}});
  write_safetensors(dir.file("s2.safetensors"), {{"w", DType::F32, {2}, v}, {"w2", DType::F32, {2}, v}});
  write_file(dir.file("model.safetensors.index.json"),
             R"({"weight_map": {"w": "s1.safetensors", "w2": "s2.safetensors"}})");
  const std::string msg = error_of<FormatError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"'w'", "s1.safetensors", "s2.safetensors"});
}

TEST(SafetensorsCheckpoint, DirectoryDoesNotExist) {
  TempDir dir;
  const std::string missing = dir.file("no-model-here");
  const std::string msg = error_of<IoError>([&] { SafetensorsCheckpoint ck(missing); });
  expect_phrases(msg, {"model directory", "no-model-here", "does not exist"});
}

TEST(SafetensorsCheckpoint, DirectoryWithNeitherFile) {
  TempDir dir;
  write_file(dir.file("config.json"), "{}");
  const std::string msg = error_of<IoError>([&] { SafetensorsCheckpoint ck(dir.path().string()); });
  expect_phrases(msg, {"neither", "model.safetensors", "model.safetensors.index.json"});
}

// ---- the real peer checkpoint (setup.sh) ------------------------------------------------------------

TEST(SafetensorsPeer, TinyQwen3Checkpoint) {
  QWEN3_REQUIRE_PATH(qwen3::test::peer_model_dir());
  SafetensorsCheckpoint ck(qwen3::test::peer_model_dir());
  const std::vector<std::string> names = ck.names();
  EXPECT_EQ(names.size(), 24u);
  const TensorView& embed = ck.get("model.embed_tokens.weight");
  EXPECT_EQ(embed.dtype, DType::BF16);
  EXPECT_EQ(embed.shape, (std::vector<int64_t>{151669, 48}));
  for (const std::string& name : names) {
    const TensorView& t = ck.get(name);
    EXPECT_EQ(t.dtype, DType::BF16) << name;
    const std::vector<float> v = to_f32(t);
    size_t non_finite = 0;
    for (float x : v) non_finite += !std::isfinite(x);
    EXPECT_EQ(non_finite, 0u) << name;
  }
}

}  // namespace
// ---- nesting and size limits (issue: hardening) -------------------------------------------------------------

// A header value nested 100,000 deep crashed the reader (building its error message with dump() recursed past the
// stack), and so did a deep first member followed by another key (copied recursively). Now the parse refuses any
// nesting past kMaxJsonDepth, and messages quote a short excerpt of a bad value.
std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(SafetensorsMalformed, DeepNestingIsRefusedNotRecursed) {
  TempDir dir;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& header :
       {R"({"w": {"dtype": )" + deep + R"(, "shape": [1], "data_offsets": [0, 4]}})",
        R"({"w": {"dtype": "F32", "shape": )" + deep + R"(, "data_offsets": [0, 4]}})",
        R"({"a": )" + deep + R"(, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})"}) {
    write_raw(dir.file("m.safetensors"), header, std::string(4, '\0'));
    expect_format_error(dir.file("m.safetensors"), {"nested deeper than 64"});
  }
  // a wrong value at a legal depth is quoted, cut short
  write_raw(dir.file("m.safetensors"),
            R"({"w": {"dtype": [1)" + repeat(",1", 500) + R"(], "shape": [1], "data_offsets": [0, 4]}})",
            std::string(4, '\0'));
  const std::string msg = error_of<FormatError>([&] { SafetensorsFile f(dir.file("m.safetensors")); });
  expect_phrases(msg, {"dtype", "..."});
  EXPECT_LT(msg.size(), 400u) << msg;
}

// Numbers out of a double's range escaped as the JSON library's raw exception, without the file's name.
TEST(SafetensorsMalformed, HugeNumberIsTheFilesError) {
  TempDir dir;
  write_raw(dir.file("m.safetensors"), R"({"w": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 4]}})",
            std::string(4, '\0'));
  expect_format_error(dir.file("m.safetensors"), {"not valid JSON"});
}

}  // namespace qwen3
