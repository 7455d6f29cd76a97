// Exercise 20_dequant_q8_0: the function you write, as the tests call it.
#pragma once
#include <cstdint>

namespace learner {

// A Q8_0 row (llama.cpp's 8-bit block format) back into floats.
// blocks: n/32 blocks of 34 bytes, back to back: [d: f16, little-endian][qs: 32 × int8];  out: [n] floats.
// out[32·b + j] = d_b · qs_b[j].   n is a multiple of 32 (the caller checked).
void dequantize_q8_0(const uint8_t* blocks, int64_t n, float* out);

}  // namespace learner
