// mistake: blocks taken 32 bytes apart: each block is 34 bytes, its 2-byte scale followed by its 32 codes
#include <cstring>

#include "core/safetensors.h"
#include "exercises/20_dequant_q8_0/dequant_q8_0.h"

namespace learner {

// out[32·b + j] = d_b · qs_b[j], block b at blocks + 34·b: 2 bytes of f16 d, then 32 int8
void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out) {
  for (int64_t b = 0; b < n / 32; ++b) {
    const uint8_t* block = blocks + 32 * b;
    uint16_t d_bits;
    std::memcpy(&d_bits, block, 2);  // little-endian host: the two bytes are the f16 as stored
    const float d = qwen3::f16_to_f32(d_bits);
    for (int j = 0; j < 32; ++j) {
      const auto q = static_cast<int8_t>(block[2 + j]);  // the codes are signed: 0xFF is −1, not 255
      out[32 * b + j] = static_cast<float>(q) * d;
    }
  }
}

}  // namespace learner
