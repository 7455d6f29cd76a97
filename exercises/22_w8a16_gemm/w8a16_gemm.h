// Exercise 22_w8a16_gemm: the launcher you write, as the tests call it.
#pragma once
#include <bit>
#include <cstdint>

#include "exercises/common/gpu_sim/cuda_compat.h"

namespace learner {

// A bf16 (the top 16 bits of an f32) widened to float: exact.
__host__ __device__ inline float bf16_bits_to_float(uint16_t bits) {
  return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16);
}

// Y = X · Wᵀ with int8 weights and one float scale per 32 weights of a row:
//   W[n][k] = S[n][k/32] · Wq[n][k]          Y[m][n] = Σ_k X[m][k] · W[n][k]
// X: [M, K] bf16 bits, Wq: [N, K] int8, S: [N, K/32] float, Y: [M, N] float; row-major; K a multiple of 32.
void gemm_w8a16(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                sim::global_ptr<float> Y, int M, int N, int K);

}  // namespace learner
