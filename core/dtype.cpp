// Element types of a safetensors tensor and their conversion to f32.
//
// The three floating-point formats this project reads, bit by bit (s = sign, e = exponent, m = mantissa):
//   F32  (IEEE binary32): s eeeeeeee mmmmmmmmmmmmmmmmmmmmmmm   bias 127
//   BF16 (bfloat16):      s eeeeeeee mmmmmmm                   bias 127 — the top half of an F32
//   F16  (IEEE binary16): s eeeee mmmmmmmmmm                   bias 15
// BF16 and F16 both fit exactly in F32, so widening never rounds; only narrowing (the writer, the GPU
// backends' bf16 storage) rounds, always to nearest with ties to even.
#include <bit>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/safetensors.h"

namespace qwen3 {

// Tensor data is copied from the file as little-endian bytes straight into host floats.
static_assert(std::endian::native == std::endian::little, "the safetensors reader assumes a little-endian host");
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559, "float must be IEEE binary32");

// The dtype's name as written in a safetensors header.
const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::BF16: return "BF16";
    case DType::F16: return "F16";
  }
  return "?";
}

// Bytes per element.
size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::BF16: return 2;
    case DType::F16: return 2;
  }
  return 0;
}

// Product of the dimensions; 1 for a 0-dim scalar (shape []), 0 if any dimension is 0.
int64_t TensorView::numel() const {
  for (int64_t d : shape)
    if (d == 0) return 0;  // checked first so that [2^40, 2^40, 0] does not overflow on its way to 0
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // the reader checked that the product fits (it is <= nbytes)
  return n;
}

// bf16 -> f32: a bf16 is the top 16 bits of an f32, so shift it back into place (exact).
float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// f32 -> bf16, round to nearest, ties to even: add 0x7FFF plus the lowest kept bit, then truncate.
// A NaN keeps its sign and top payload bits and is forced quiet, so it can never round into an infinity.
uint16_t f32_to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);  // NaN
  const uint32_t lsb = (bits >> 16) & 1u;  // the lowest bit that survives: decides which way a tie goes
  return static_cast<uint16_t>((bits + 0x7FFFu + lsb) >> 16);  // a carry may roll into the exponent: correct
}

// f16 -> f32 (exact). Normal numbers re-bias the exponent (15 -> 127); subnormals (e = 0, value m * 2^-24)
// are normalised by shifting the mantissa up until its leading 1 reaches the implicit-bit position;
// e = 31 is an infinity (m = 0) or a NaN (m != 0, payload kept).
float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  uint32_t bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);  // inf or NaN
  } else if (exp != 0) {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);  // normal
  } else if (mant == 0) {
    bits = sign;  // ±0
  } else {
    // Subnormal: value = mant * 2^-24 = 1.f * 2^(e' - 15) after normalising; e' starts at 1 and drops by
    // one per shift.
    int e = 1;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    mant &= 0x3FFu;  // drop the now-implicit leading 1
    bits = sign | (static_cast<uint32_t>(e - 15 + 127) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

// f32 -> f16 (IEEE binary16), round to nearest, ties to even. Used by the safetensors writer and the GGUF quantisers (core/quant.cpp).
//   |x| >= 65520 (halfway between 65504, the largest f16, and 65536) -> ±inf; NaN stays a (quiet) NaN;
//   |x| < 2^-14 -> an f16 subnormal m * 2^-24, m = round(|x| / 2^-24), which may round up to the
//   smallest normal (m = 0x400 then encodes exactly that); otherwise re-bias the exponent (127 -> 15)
//   and round the 23-bit mantissa to 10 bits (a carry into the exponent is the correct result).
uint16_t f32_to_f16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7FFFFFFFu;
  if (x > 0x7F800000u) return sign | 0x7E00u | static_cast<uint16_t>((x >> 13) & 0x3FFu);  // NaN (quiet)
  if (x >= 0x477FF000u) return sign | 0x7C00u;                                              // inf, overflow
  if (x < 0x38800000u) {                                                                    // below 2^-14
    const uint32_t e = x >> 23;
    const uint32_t m = (x & 0x7FFFFFu) | 0x800000u;  // |x| = m * 2^(e - 150) (for normal f32)
    const uint32_t shift = 126 - e;                  // m * 2^(e-150) / 2^-24 = m >> (126 - e)
    if (shift > 24) return sign;                     // |x| < 2^-25 (or an f32 subnormal): rounds to 0
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return sign | static_cast<uint16_t>(q);
  }
  uint32_t h = ((x >> 23) - 127 + 15) << 10 | ((x >> 13) & 0x3FFu);
  const uint32_t rem = x & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<uint16_t>(h);
}

// Widens every element of `t` into `out` (t.numel() floats). Elements are read with memcpy: a tensor's
// bytes in the mapped file need not be aligned for its type.
void to_f32(const TensorView& t, float* out) {
  const size_t n = static_cast<size_t>(t.numel());
  if (n * dtype_size(t.dtype) != t.nbytes)
    throw FormatError(t.file + ": tensor '" + t.name + "': holds " + std::to_string(t.nbytes) +
                      " bytes but its shape needs " + std::to_string(n * dtype_size(t.dtype)));
  switch (t.dtype) {
    case DType::F32:
      if (n) std::memcpy(out, t.data, n * 4);
      return;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, t.data + 2 * i, 2);
        out[i] = bf16_to_f32(b);
      }
      return;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      return;
  }
}

// Same, into a new vector.
std::vector<float> to_f32(const TensorView& t) {
  std::vector<float> out(static_cast<size_t>(t.numel()));
  to_f32(t, out.data());
  return out;
}

}  // namespace qwen3
