// Exercise 22_w8a16_gemm — the one file you edit. Statement: exercises/22_w8a16_gemm/README.md.
// Check your answer: qwen3emb exercise check 22_w8a16_gemm
#include "exercises/22_w8a16_gemm/w8a16_gemm.h"

#include "exercises/common/todo.h"

namespace learner {

// Y[m][n] = Σ_k X[m][k] · S[n][k/32] · Wq[n][k]
// X: [M, K] bf16, Wq: [N, K] int8, S: [N, K/32], Y: [M, N]
void gemm_w8a16(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                sim::global_ptr<float> Y, int M, int N, int K) {
  // TODO: write a __global__ kernel (start from your exercise 13 tiling) whose weight-tile load reads Wq as int8
  //       and S once per row and k-tile, dequantises in a register, and stores floats into shared memory; launch it
  //       here with sim::launch
  (void)X, (void)Wq, (void)S, (void)Y, (void)M, (void)N, (void)K;
  qwen3::exercises::not_implemented("22_w8a16_gemm", "w8a16_gemm.cpp",
                                    "exercise 13's tiling; dequantise each weight as you load it: S[n][k/32] · Wq[n][k]");
}

}  // namespace learner
