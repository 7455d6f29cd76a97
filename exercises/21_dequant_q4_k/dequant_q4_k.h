// Exercise 21_dequant_q4_k: the functions you write, as the tests call them.
#pragma once
#include <cstdint>

namespace learner {

// Sub-block j's (0..7) 6-bit scale sc and 6-bit min m, from the 12 packed scale bytes of a Q4_K block.
void unpack_scale_min(const uint8_t* scales, int j, int& sc, int& m);

// A Q4_K row (llama.cpp's 4-bit "K-quant") back into floats.
// blocks: n/256 blocks of 144 bytes: [d f16][dmin f16][scales 12 bytes][qs 128 bytes];  out: [n] floats.
// Value i of sub-block j: out = d·sc_j·q − dmin·m_j.   n is a multiple of 256 (the caller checked).
void dequantize_q4_k(const uint8_t* blocks, int64_t n, float* out);

}  // namespace learner
