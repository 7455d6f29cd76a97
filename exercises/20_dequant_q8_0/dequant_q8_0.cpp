// Exercise 20_dequant_q8_0 — the one file you edit. Statement: exercises/20_dequant_q8_0/README.md.
// Check your answer: qwen3emb exercise check 20_dequant_q8_0
#include "exercises/20_dequant_q8_0/dequant_q8_0.h"

#include <cstring>

#include "core/safetensors.h"  // qwen3::f16_to_f32
#include "exercises/common/todo.h"

namespace learner {

// out[32·b + j] = d_b · qs_b[j], block b at blocks + 34·b: 2 bytes of f16 d, then 32 int8
void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out) {
  // TODO: for each of the n/32 blocks: read d (two bytes, little-endian f16 -> qwen3::f16_to_f32), then the 32
  //       signed bytes after it; write d · q for each
  (void)blocks, (void)n, (void)out;
  qwen3::exercises::not_implemented("20_dequant_q8_0", "dequant_q8_0.cpp",
                                    "a block is 34 bytes: 2 of scale, 32 of signed codes");
}

}  // namespace learner
