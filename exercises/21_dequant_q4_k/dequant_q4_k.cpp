// Exercise 21_dequant_q4_k — the one file you edit. Statement: exercises/21_dequant_q4_k/README.md.
// Check your answer: qwen3emb exercise check 21_dequant_q4_k
#include "exercises/21_dequant_q4_k/dequant_q4_k.h"

#include <cstring>

#include "core/safetensors.h"  // qwen3::f16_to_f32
#include "exercises/common/todo.h"

namespace learner {

// j < 4: sc = low 6 bits of scales[j], m = low 6 bits of scales[j+4]
// j ≥ 4: low 4 bits from scales[j+4] (sc: low nibble, m: high nibble), top 2 bits from the top of scales[j−4] / scales[j]
void unpack_scale_min(const uint8_t* scales, int j, int& sc, int& m) {
  // TODO: the two cases above, with masks (0x3F, 0x0F) and shifts (>> 4, >> 6, << 4)
  (void)scales, (void)j, (void)sc, (void)m;
  qwen3::exercises::not_implemented("21_dequant_q4_k", "dequant_q4_k.cpp",
                                    "sub-blocks 0..3 are plain 6-bit fields; 4..7 are split across two bytes");
}

// out = d·sc_j·q − dmin·m_j; chunk c (32 bytes of qs) holds values 64c..64c+31 in its low nibbles and
// 64c+32..64c+63 in its high nibbles
void dequantize_q4_k(const uint8_t* blocks, int64_t n, float* out) {
  // TODO: per block of 144 bytes: d, dmin (f16), then per chunk c = 0..3 the two sub-blocks 2c and 2c+1
  (void)blocks, (void)n, (void)out;
  qwen3::exercises::not_implemented("21_dequant_q4_k", "dequant_q4_k.cpp",
                                    "the low nibbles of a 32-byte chunk are the first 32 of its 64 values");
}

}  // namespace learner
