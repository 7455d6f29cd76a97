// Block-quantised formats (ggml's, as GGUF files store them): the layout of each block, drawn next to its two
// functions — dequantise (bytes -> floats) and quantise (floats -> bytes).
//
// Every layout here is ggml's bit for bit; all multi-byte fields are little-endian; "f16" is IEEE binary16.
// Dequantisers do their multiplications in f32 in the order llama.cpp's reference dequantiser does them, with no
// fused multiply-add (this file is compiled with -ffp-contract=off), so a row decodes to the same floats as there.
//
// Quantisers:
//   F32, F16, BF16: element-wise (round to nearest even for the 16-bit ones).
//   Q8_0: ggml's own rule, byte for byte (d = amax/127, q = roundf(x·(1/d)), d stored as f16).
//   Q4_K: this project's quantiser, designed below at quantize_q4_k_block.
// Every quantiser rejects NaN and ±inf inputs (InputError naming the value's index; the tensor-named overload
// prefixes the tensor's name): a weight that is not a number is a broken checkpoint, and ggml's rule would turn it
// into undefined behaviour (a float-to-int8 cast of NaN) or a block of garbage.
#include "core/quant.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>

#include "core/error.h"
#include "core/safetensors.h"  // f16_to_f32, f32_to_f16, bf16_to_f32, f32_to_bf16

namespace qwen3 {

static_assert(std::endian::native == std::endian::little, "the block layouts are read as little-endian bytes");

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Little helpers: read/write one little-endian f16 at a byte address (blocks need not be aligned).
float load_f16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}
void store_f16(uint8_t* p, float x) {
  const uint16_t h = f32_to_f16(x);
  std::memcpy(p, &h, 2);
}

// The formats' sizes, in one table.
constexpr int64_t kQ8_0Values = 32, kQ8_0Bytes = 2 + 32;                    // d, qs[32]
constexpr int64_t kQkValues = 256;                                           // a K-quant super-block
constexpr int64_t kQ4_KBytes = 2 + 2 + 12 + 128;                             // d, dmin, scales[12], qs[128]
constexpr int64_t kQ6_KBytes = 128 + 64 + 16 + 2;                            // ql, qh, scales, d

// Throws InputError unless every value is finite (the rule every quantiser shares; see the file head).
void require_finite(const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(src[i]))
      throw InputError("value " + std::to_string(i) + " of the row is " + (std::isnan(src[i]) ? "NaN" : "infinite") +
                       ": cannot quantise a non-finite weight");
}

// Stores x as the f16 scale `what` at p; InputError if it does not fit in f16 (the block's values are too large
// for the format: the scale would be stored as infinity and every value would decode to ±inf or NaN).
void store_scale_f16(uint8_t* p, float x, const char* what, int64_t block) {
  if (!std::isfinite(f16_to_f32(f32_to_f16(x))))
    throw InputError("block " + std::to_string(block) + ": its scale " + what + " = " + std::to_string(x) +
                     " overflows f16 (values too large for this format)");
  store_f16(p, x);
}

// ===============================================================================================================
// Q8_0 — 32 values in 34 bytes (8.5 bits per value)
//
//   byte  0      2                                                                  34
//         +------+------------------------------------------------------------------+
//         |  d   | qs[0] qs[1] ............................................. qs[31] |
//         | f16  | int8 each                                                        |
//         +------+------------------------------------------------------------------+
//   x[j] = d · qs[j]      (one scale per 32 values, no offset: symmetric around 0)
// ===============================================================================================================

// block: 34 bytes -> y: [32]
void dequantize_q8_0_block(const uint8_t* block, float* y) {
  const float d = load_f16(block);
  const auto* qs = reinterpret_cast<const int8_t*>(block + 2);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;  // x = q · d
}

// x: [32] -> block: 34 bytes. ggml's rule (llama.cpp's reference quantiser, which its `llama-quantize` uses for
// Q8_0), reproduced step for step so that our file is byte-identical to theirs:
//   amax = max |x|;  d = amax / 127 (in f32);  id = 1/d (0 when d = 0);  q = roundf(x · id)
//   and d is rounded to f16 only when stored: the codes are computed with the f32 d, not the stored one.
// roundf rounds halves away from zero (2.5 -> 3, −2.5 −> −3), unlike nearest-even; x · id is not x / d.
// Error: |x − q·d| ≤ d/2 with the f32 d; with the stored d' = f16(d), |x − q·d'| ≤ d/2 + 127·|d − d'|
// (|d − d'| ≤ d·2^-11 for a normal f16, so at most about 0.56·d).
// One case where ggml's result is undefined: a block so tiny that 1/d overflows f32 (amax below ~4e-37, a block
// of f32 denormals): there x·id is ±inf or NaN and its int8 cast is undefined behaviour in C. We store q = 0 —
// the stored d is f16(d) = 0 there anyway, so every value decodes to 0 in both programs.
void quantize_q8_0_block(const float* x, uint8_t* block, int64_t block_index) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_scale_f16(block, d, "d", block_index);
  auto* qs = reinterpret_cast<int8_t*>(block + 2);
  for (int j = 0; j < 32; ++j) {
    const float scaled = x[j] * id;
    qs[j] = std::isfinite(id) ? static_cast<int8_t>(std::round(scaled)) : int8_t{0};  // std::round == roundf
  }
}

// ===============================================================================================================
// Q4_K — 256 values (a super-block of 8 sub-blocks of 32) in 144 bytes (4.5 bits per value)
//
//   byte  0      2      4                       16                                                   144
//         +------+------+-----------------------+----------------------------------------------------+
//         |  d   | dmin | scales[12]            | qs[128]: 4-bit codes, two per byte                 |
//         | f16  | f16  | 8 × (6-bit sc, 6-bit m)|                                                    |
//         +------+------+-----------------------+----------------------------------------------------+
//   Sub-block j (values 32j .. 32j+31):   x = (d·sc_j)·q − (dmin·m_j),   q, sc_j, m_j unsigned (q 0..15, sc, m 0..63)
//
//   The 12 scale bytes pack 8 six-bit scales and 8 six-bit mins (96 bits):
//     bytes 0..3   (b = scales[j],   j = 0..3): low 6 bits = sc_j;  top 2 bits = bits 4..5 of sc_{j+4}
//     bytes 4..7   (b = scales[j+4], j = 0..3): low 6 bits = m_j;   top 2 bits = bits 4..5 of m_{j+4}
//     bytes 8..11  (b = scales[j+8], j = 0..3): low nibble = bits 0..3 of sc_{j+4}; high nibble = bits 0..3 of m_{j+4}
//
//   The codes go in 4 chunks of 32 bytes, one chunk per pair of sub-blocks (64 values):
//     qs[32c + l] low nibble  = q of value 64c + l        (sub-block 2c,   l = 0..31)
//     qs[32c + l] high nibble = q of value 64c + 32 + l   (sub-block 2c+1)
//   i.e. NOT "two neighbouring values per byte": the low nibbles of a chunk are the first 32 values of its 64.
// ===============================================================================================================

// scales: 12 bytes -> (sc_j, m_j) of sub-block j = 0..7.
void unpack_q4_k_scale_min(const uint8_t* scales, int j, int& sc, int& m) {
  if (j < 4) {
    sc = scales[j] & 0x3F;
    m = scales[j + 4] & 0x3F;
  } else {
    sc = (scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4);
    m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// (sc_j, m_j) of the 8 sub-blocks, each 0..63 -> scales: 12 bytes (the inverse of unpack_q4_k_scale_min).
void pack_q4_k_scales_mins(const std::array<int, 8>& sc, const std::array<int, 8>& m, uint8_t* scales) {
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>((sc[j] & 0x3F) | ((sc[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>((m[j] & 0x3F) | ((m[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0F) | ((m[j + 4] & 0x0F) << 4));
  }
}

// block: 144 bytes -> y: [256]
void dequantize_q4_k_block(const uint8_t* block, float* y) {
  const float d = load_f16(block);
  const float dmin = load_f16(block + 2);
  const uint8_t* scales = block + 4;
  const uint8_t* qs = block + 16;
  for (int c = 0; c < 4; ++c) {  // chunk c: sub-blocks 2c (low nibbles) and 2c+1 (high nibbles)
    int sc_lo, m_lo, sc_hi, m_hi;
    unpack_q4_k_scale_min(scales, 2 * c, sc_lo, m_lo);
    unpack_q4_k_scale_min(scales, 2 * c + 1, sc_hi, m_hi);
    const float d_lo = d * static_cast<float>(sc_lo), min_lo = dmin * static_cast<float>(m_lo);
    const float d_hi = d * static_cast<float>(sc_hi), min_hi = dmin * static_cast<float>(m_hi);
    const uint8_t* chunk = qs + 32 * c;
    float* out = y + 64 * c;
    for (int l = 0; l < 32; ++l) out[l] = d_lo * static_cast<float>(chunk[l] & 0x0F) - min_lo;     // x = d·sc·q − dmin·m
    for (int l = 0; l < 32; ++l) out[32 + l] = d_hi * static_cast<float>(chunk[l] >> 4) - min_hi;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// This project's Q4_K quantiser. Three stages.
//
// Stage 1, each sub-block of 32 on its own: find a step s ≥ 0 and an offset m ≥ 0 for x ≈ s·q − m, q ∈ 0..15.
//   Let lo = min(0, min x) and hi = max x. The plain min-max fit s0 = (hi − lo)/15, m0 = −lo puts the grid exactly
//   over [lo, hi]: every value is within s0/2 of a grid point. But one far value (weights have outliers) stretches
//   the grid for the other 31, so we also try narrower steps, which clip the extremes, and wider ones, which move
//   the grid's points against the values: s = s0·(1 − k/40), k = −8..15 (1.2·s0 down to 0.625·s0). For each
//   candidate we pick every value's nearest code, refit (s, m) by least squares to those codes (the 2×2 normal
//   equations of Σ(s·q_i − m − x_i)²), clamp the refit into 0 < s ≤ 1.2·s0 and 0 ≤ m ≤ m0, re-pick the nearest
//   codes, and keep whichever candidate (as drawn or refitted) has the least squared error.
//   m ≥ 0 is the format's rule (the offset is subtracted and m is unsigned, hence lo = min(0, …)); s ≤ 1.2·s0 and
//   m ≤ m0 keep the largest step and offset of the super-block bounded by its values, which stage 2's error
//   bound needs. Since the min-max fit is one of the candidates, the kept fit's squared error is at most
//   32·(s0/2)² — its RMS error is at most s0/2 = (hi − lo)/30.
//
// Stage 2, the super-block: store the eight steps and offsets as 6-bit integers on two shared f16 scales,
//   d = max_j s_j / 63, dmin = max_j m_j / 63, sc_j = round(s_j / d), m_j = round(m_j / dmin) (clamped to 0..63),
//   then re-pick every value's nearest code against the step and offset actually stored, d'·sc_j and dmin'·m_j.
//   Rounding moves a step by at most ε_s = max(d'/2, 63·|d − d'|) and an offset by ε_m (the same with dmin), where
//   d' = f16(d), |d − d'| ≤ max(d·2^-11, 2^-25). With the old codes the value moves by ≤ 15·ε_s + ε_m; re-picking
//   the nearest code can only do better. So per sub-block:
//     RMS error ≤ (hi − lo)/30 + 15·ε_s + ε_m      (with d ≤ 1.2·max_j s0_j / 63 and dmin ≤ max_j m0_j / 63)
//   The second and third terms are the price of sharing one f16 scale per 256 values: a sub-block much quieter
//   than the loudest one in its super-block gets few of the 64 scale levels. tests/test_quant.cpp checks this bound.
//
// Stage 3, that price paid back in part: rounding s_j / d and m_j / dmin to the nearest levels is not the best pair
//   of levels once the codes are re-picked (a quiet sub-block's step may be 3 levels where 3.4 was wanted). Each
//   sub-block tries every pair within ±2 levels of stage 2's (25 pairs), its codes re-picked against the grid as
//   stored, and keeps the pair of least squared error: never worse than stage 2, so the bound above still holds.
//
// Measured (docs/results/quantization.md, "The two Q4_K quantisers"): on the `small` model's projections the
//   weights' relative error is 5.76e-2 with stage 1 as first written (narrower steps only) and no stage 3, 5.47e-2
//   with stage 3, 5.39e-2 with the wider steps too; llama-quantize's Q4_K leaves 5.46e-2 on the same weights.
// ---------------------------------------------------------------------------------------------------------------

struct SubBlockFit {
  float step = 0.0f;    // s
  float offset = 0.0f;  // m: x ≈ s·q − m
};

// Nearest code of x on the grid s·q − m, q = 0..15, for s > 0: (x + m)/s rounded half up and clamped to the grid's
// ends, in float and then truncated (the same as floor on the clamped value, which is ≥ 0). Written without a
// library call or a branch, so that the loops over a sub-block below are vectorised (8 or 16 values at a time):
// the quantiser evaluates ~100 grids per value.
inline float nearest_q4_code(float x, float step, float offset) {
  const float v = std::min(std::max((x + offset) / step + 0.5f, 0.0f), 15.0f);
  return static_cast<float>(static_cast<int>(v));
}

// v: [32] -> Σ v_i, added in a fixed tree (the same bits whether the compiler vectorises the loops around it or not).
float sum32(const float* v) {
  float lane[8];
  for (int l = 0; l < 8; ++l) lane[l] = (v[l] + v[l + 8]) + (v[l + 16] + v[l + 24]);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// x: [32] -> Σ (s·q_i − m − x_i)² with each q_i the nearest code (q_i = 0 when s = 0).
float squared_error_q4(const float* x, float step, float offset) {
  float e2[32];
  if (step > 0.0f) {
    for (int i = 0; i < 32; ++i) {
      const float e = step * nearest_q4_code(x[i], step, offset) - offset - x[i];
      e2[i] = e * e;
    }
  } else {
    for (int i = 0; i < 32; ++i) e2[i] = (offset + x[i]) * (offset + x[i]);
  }
  return sum32(e2);
}

// Stage 1's candidate steps: s0·(1 − k/40) for k = kWidestStep .. kNarrowestStep (k = 0 is the min-max fit itself),
// and no refitted step wider than the widest candidate (1.2·s0), which stage 2's bound counts on.
constexpr int kWidestStep = -8, kNarrowestStep = 15;
constexpr float kMaxStepRatio = 1.0f - static_cast<float>(kWidestStep) / 40.0f;

// Stage 1 above. x: [32] -> the sub-block's (s, m).
SubBlockFit fit_q4_k_sub_block(const float* x) {
  float lo = 0.0f, hi = x[0];
  for (int i = 0; i < 32; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  hi = std::max(hi, lo);
  const float s0 = (hi - lo) / 15.0f, m0 = -lo;
  SubBlockFit best{s0, m0};
  if (s0 == 0.0f) return best;  // a constant sub-block (e.g. all zeros): q = 0 and x = −m exactly
  float best_err = squared_error_q4(x, s0, m0);
  double sx = 0;
  for (int i = 0; i < 32; ++i) sx += x[i];
  for (int k = kWidestStep; k <= kNarrowestStep; ++k) {
    if (k == 0) continue;
    const float s = s0 * (1.0f - static_cast<float>(k) / 40.0f);
    // Least-squares refit of (s, m) to the candidate's codes: minimise Σ(s·q_i − m − x_i)².
    float q[32], qq[32], qx[32];
    for (int i = 0; i < 32; ++i) {
      q[i] = nearest_q4_code(x[i], s, m0);
      qq[i] = q[i] * q[i];
      qx[i] = q[i] * x[i];
    }
    const double sq = sum32(q), sqq = sum32(qq), sqx = sum32(qx);
    const double det = 32.0 * sqq - sq * sq;
    SubBlockFit cand{s, m0};
    if (det > 0.0) {  // all codes equal -> det = 0: keep the candidate as it is
      const double fit_s = (32.0 * sqx - sq * sx) / det;
      const double fit_m = (sq * sqx - sqq * sx) / det;  // from s·Σq − 32·m = Σx
      cand.step = static_cast<float>(std::clamp(fit_s, 0.0, static_cast<double>(s0 * kMaxStepRatio)));
      cand.offset = static_cast<float>(std::clamp(fit_m, 0.0, static_cast<double>(m0)));
      if (cand.step == 0.0f) cand.step = s;
    }
    for (const SubBlockFit& f : {SubBlockFit{s, m0}, cand}) {
      const float err = squared_error_q4(x, f.step, f.offset);
      if (err < best_err) {
        best_err = err;
        best = f;
      }
    }
  }
  return best;
}

// The 6-bit integer (0..63) nearest to value / unit; 0 when the unit is 0.
int six_bit_level(float value, float unit) {
  if (unit <= 0.0f) return 0;
  return static_cast<int>(std::clamp(std::round(value / unit), 0.0f, 63.0f));
}

// Stage 3 above. x: [32], the stored d and dmin, stage 2's levels -> the best levels within ±2 of them.
void refine_q4_k_levels(const float* x, float d, float dmin, int& sc, int& m) {
  auto error = [&](int s, int o) {
    return squared_error_q4(x, d * static_cast<float>(s), dmin * static_cast<float>(o));  // as dequantised
  };
  float best = error(sc, m);
  const int sc2 = sc, m2 = m;
  for (int s = std::max(0, sc2 - 2); s <= std::min(63, sc2 + 2); ++s)
    for (int o = std::max(0, m2 - 2); o <= std::min(63, m2 + 2); ++o) {
      const float e = error(s, o);
      if (e < best) best = e, sc = s, m = o;
    }
}

// x: [256] -> block: 144 bytes (stages 1, 2 and 3 above).
void quantize_q4_k_block(const float* x, uint8_t* block, int64_t block_index) {
  std::array<SubBlockFit, 8> fits;
  float max_step = 0.0f, max_offset = 0.0f;
  for (int j = 0; j < 8; ++j) {
    fits[j] = fit_q4_k_sub_block(x + 32 * j);
    max_step = std::max(max_step, fits[j].step);
    max_offset = std::max(max_offset, fits[j].offset);
  }
  store_scale_f16(block, max_step / 63.0f, "d", block_index);
  store_scale_f16(block + 2, max_offset / 63.0f, "dmin", block_index);
  const float d = load_f16(block), dmin = load_f16(block + 2);  // what a reader will see
  std::array<int, 8> sc{}, m{};
  for (int j = 0; j < 8; ++j) {
    sc[j] = six_bit_level(fits[j].step, d);
    m[j] = six_bit_level(fits[j].offset, dmin);
  }
  for (int j = 0; j < 8; ++j) refine_q4_k_levels(x + 32 * j, d, dmin, sc[j], m[j]);
  pack_q4_k_scales_mins(sc, m, block + 4);
  uint8_t* qs = block + 16;
  for (int c = 0; c < 4; ++c) {
    // The stored step and offset, computed exactly as the dequantiser does.
    const float step_lo = d * static_cast<float>(sc[2 * c]), off_lo = dmin * static_cast<float>(m[2 * c]);
    const float step_hi = d * static_cast<float>(sc[2 * c + 1]), off_hi = dmin * static_cast<float>(m[2 * c + 1]);
    for (int l = 0; l < 32; ++l) {
      const int q_lo = step_lo > 0.0f ? static_cast<int>(nearest_q4_code(x[64 * c + l], step_lo, off_lo)) : 0;
      const int q_hi = step_hi > 0.0f ? static_cast<int>(nearest_q4_code(x[64 * c + 32 + l], step_hi, off_hi)) : 0;
      qs[32 * c + l] = static_cast<uint8_t>(q_lo | (q_hi << 4));
    }
  }
}

// ===============================================================================================================
// Q6_K — 256 values (16 sub-blocks of 16) in 210 bytes (6.5625 bits per value). Read only (llama.cpp's Q4_K_M
// files keep some tensors in it); this project does not write it.
//
//   byte  0                    128                 192                208    210
//         +--------------------+-------------------+-------------------+------+
//         | ql[128]: low 4 bits| qh[64]: high 2 bits| scales[16] int8   |  d   |
//         +--------------------+-------------------+-------------------+------+
//   Value i: a 6-bit code q (0..63) and sub-block i/16:   x = d · scales[i/16] · (q − 32)
//
//   Codes come in two halves of 128 values, h = 0, 1 (ql + 64h, qh + 32h). Within a half, for l = 0..31:
//     value 128h +      l : low 4 = ql[64h + l]      & 0xF,  high 2 = (qh[32h + l] >> 0) & 3
//     value 128h + 32 + l : low 4 = ql[64h + 32 + l] & 0xF,  high 2 = (qh[32h + l] >> 2) & 3
//     value 128h + 64 + l : low 4 = ql[64h + l]      >> 4,   high 2 = (qh[32h + l] >> 4) & 3
//     value 128h + 96 + l : low 4 = ql[64h + 32 + l] >> 4,   high 2 = (qh[32h + l] >> 6) & 3
//   (each qh byte holds the high bits of four values 32 apart; each ql byte the low bits of two values 64 apart).
// ===============================================================================================================

// block: 210 bytes -> y: [256]
void dequantize_q6_k_block(const uint8_t* block, float* y) {
  const uint8_t* ql_all = block;
  const uint8_t* qh_all = block + 128;
  const auto* scales = reinterpret_cast<const int8_t*>(block + 192);
  const float d = load_f16(block + 208);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* ql = ql_all + 64 * h;
    const uint8_t* qh = qh_all + 32 * h;
    const int8_t* sc = scales + 8 * h;  // this half's 8 sub-blocks of 16
    float* out = y + 128 * h;
    for (int l = 0; l < 32; ++l) {
      const int q0 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q1 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q2 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q3 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      const int sub = l / 16;  // values l and l+16 are in different 16-value sub-blocks
      out[l] = d * static_cast<float>(sc[sub + 0]) * static_cast<float>(q0);  // x = d·sc·(q − 32)
      out[l + 32] = d * static_cast<float>(sc[sub + 2]) * static_cast<float>(q1);
      out[l + 64] = d * static_cast<float>(sc[sub + 4]) * static_cast<float>(q2);
      out[l + 96] = d * static_cast<float>(sc[sub + 6]) * static_cast<float>(q3);
    }
  }
}

// ===============================================================================================================
// F32, F16, BF16: one value per "block", no scale (widening is exact; narrowing rounds to nearest even).
// ===============================================================================================================

void dequantize_plain(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (type == GgmlType::F32) {
      std::memcpy(dst + i, src + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      dst[i] = type == GgmlType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
    }
  }
}

void quantize_plain(GgmlType type, const float* src, uint8_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (type == GgmlType::F32) {
      std::memcpy(dst + 4 * i, src + i, 4);
      continue;
    }
    if (type == GgmlType::F16 && std::fabs(src[i]) >= 65520.0f)
      throw InputError("value " + std::to_string(i) + " of the row (" + std::to_string(src[i]) +
                       ") is outside f16's range (|x| < 65520)");
    const uint16_t h = type == GgmlType::F16 ? f32_to_f16(src[i]) : f32_to_bf16(src[i]);
    std::memcpy(dst + 2 * i, &h, 2);
  }
}

}  // namespace

// ===============================================================================================================
// The public interface (core/quant.h).
// ===============================================================================================================

bool is_supported_type(uint32_t type) {
  switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q8_0:
    case GgmlType::Q4_K:
    case GgmlType::Q6_K: return true;
  }
  return false;
}

BlockFormat block_format(GgmlType type) {
  switch (type) {
    case GgmlType::F32: return {"F32", 1, 4};
    case GgmlType::F16: return {"F16", 1, 2};
    case GgmlType::BF16: return {"BF16", 1, 2};
    case GgmlType::Q8_0: return {"Q8_0", kQ8_0Values, kQ8_0Bytes};
    case GgmlType::Q4_K: return {"Q4_K", kQkValues, kQ4_KBytes};
    case GgmlType::Q6_K: return {"Q6_K", kQkValues, kQ6_KBytes};
  }
  throw FormatError("unsupported ggml tensor type " + std::to_string(static_cast<uint32_t>(type)) +
                    " (this project reads F32, F16, BF16, Q8_0, Q4_K and Q6_K)");
}

int64_t row_bytes(GgmlType type, int64_t n) {
  const BlockFormat f = block_format(type);
  if (n < 0 || n % f.block_values != 0)
    throw FormatError(std::string("a row of ") + std::to_string(n) + " values is not a whole number of " + f.name +
                      " blocks (" + std::to_string(f.block_values) + " values each)");
  const int64_t blocks = n / f.block_values;
  if (blocks > std::numeric_limits<int64_t>::max() / f.block_bytes)
    throw FormatError(std::string("a row of ") + std::to_string(n) + " " + f.name + " values overflows int64 bytes");
  return blocks * f.block_bytes;
}

void dequantize_row(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
  const BlockFormat f = block_format(type);
  const int64_t blocks = row_bytes(type, n) / f.block_bytes;
  switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16: dequantize_plain(type, src, dst, n); return;
    case GgmlType::Q8_0:
      for (int64_t b = 0; b < blocks; ++b) dequantize_q8_0_block(src + b * f.block_bytes, dst + b * f.block_values);
      return;
    case GgmlType::Q4_K:
      for (int64_t b = 0; b < blocks; ++b) dequantize_q4_k_block(src + b * f.block_bytes, dst + b * f.block_values);
      return;
    case GgmlType::Q6_K:
      for (int64_t b = 0; b < blocks; ++b) dequantize_q6_k_block(src + b * f.block_bytes, dst + b * f.block_values);
      return;
  }
}

std::vector<uint8_t> quantize_row(GgmlType type, const float* src, int64_t n) {
  const BlockFormat f = block_format(type);
  std::vector<uint8_t> out(static_cast<size_t>(row_bytes(type, n)));
  const int64_t blocks = n / f.block_values;
  require_finite(src, n);
  switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16: quantize_plain(type, src, out.data(), n); break;
    case GgmlType::Q8_0:
      for (int64_t b = 0; b < blocks; ++b) quantize_q8_0_block(src + b * f.block_values, out.data() + b * f.block_bytes, b);
      break;
    case GgmlType::Q4_K:
      for (int64_t b = 0; b < blocks; ++b) quantize_q4_k_block(src + b * f.block_values, out.data() + b * f.block_bytes, b);
      break;
    case GgmlType::Q6_K: throw InputError("this project does not quantise to Q6_K (it only reads it)");
  }
  return out;
}

std::vector<uint8_t> quantize_rows(GgmlType type, const float* src, int64_t rows, int64_t n,
                                   const std::string& tensor_name) {
  const int64_t stride = row_bytes(type, n);
  std::vector<uint8_t> out(static_cast<size_t>(rows * stride));
  // An exception may not leave an OpenMP region: each row's is caught, and the lowest row's rethrown after it.
  int64_t failed_row = rows;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 8)
  for (int64_t r = 0; r < rows; ++r) {
    try {
      const std::vector<uint8_t> row =
          tensor_name.empty() ? quantize_row(type, src + r * n, n) : quantize_row(type, src + r * n, n, tensor_name);
      std::copy(row.begin(), row.end(), out.begin() + r * stride);
    } catch (...) {
#pragma omp critical(qwen3_quantize_rows)
      if (r < failed_row) failed_row = r, failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return out;
}

std::vector<uint8_t> quantize_row(GgmlType type, const float* src, int64_t n, const std::string& tensor_name) {
  try {
    return quantize_row(type, src, n);
  } catch (const InputError& e) {
    throw InputError("tensor '" + tensor_name + "': " + e.what());
  } catch (const FormatError& e) {
    throw FormatError("tensor '" + tensor_name + "': " + e.what());
  }
}

}  // namespace qwen3
