// mistake: the nibbles read as neighbouring values (byte l holds values 2l and 2l+1): in Q4_K a 32-byte chunk's low nibbles are the first 32 of its 64 values and its high nibbles the next 32
#include <cstring>

#include "core/safetensors.h"
#include "exercises/21_dequant_q4_k/dequant_q4_k.h"

namespace learner {

// j < 4: sc = low 6 bits of scales[j], m = low 6 bits of scales[j+4]
// j ≥ 4: low 4 bits from scales[j+4] (sc: low nibble, m: high nibble), top 2 bits from the top of scales[j−4] / scales[j]
void unpack_scale_min(const uint8_t* scales, int j, int& sc, int& m) {
  if (j < 4) {
    sc = scales[j] & 0x3F;
    m = scales[j + 4] & 0x3F;
  } else {
    sc = (scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4);
    m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// out = d·sc_j·q − dmin·m_j; chunk c (32 bytes of qs) holds values 64c..64c+31 in its low nibbles and
// 64c+32..64c+63 in its high nibbles
void dequantize_q4_k(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / 256; ++b) {
    const uint8_t* block = blocks + 144 * b;
    uint16_t d_bits, dmin_bits;
    std::memcpy(&d_bits, block, 2);
    std::memcpy(&dmin_bits, block + 2, 2);
    const float d = qwen3::f16_to_f32(d_bits), dmin = qwen3::f16_to_f32(dmin_bits);
    const uint8_t* scales = block + 4;
    const uint8_t* qs = block + 16;
    float* y = out + 256 * b;
    for (int c = 0; c < 4; ++c) {
      int sc_lo, m_lo, sc_hi, m_hi;
      unpack_scale_min(scales, 2 * c, sc_lo, m_lo);
      unpack_scale_min(scales, 2 * c + 1, sc_hi, m_hi);
      const float step_lo = d * static_cast<float>(sc_lo), offset_lo = dmin * static_cast<float>(m_lo);
      const float step_hi = d * static_cast<float>(sc_hi), offset_hi = dmin * static_cast<float>(m_hi);
      for (int l = 0; l < 32; ++l) {
        const int v0 = 64 * c + 2 * l, v1 = v0 + 1;  // as if each byte held two neighbours
        y[v0] = (v0 % 64 < 32 ? step_lo : step_hi) * static_cast<float>(qs[32 * c + l] & 0x0F) -
                (v0 % 64 < 32 ? offset_lo : offset_hi);
        y[v1] = (v1 % 64 < 32 ? step_lo : step_hi) * static_cast<float>(qs[32 * c + l] >> 4) -
                (v1 % 64 < 32 ? offset_lo : offset_hi);
      }
    }
  }
}

}  // namespace learner
