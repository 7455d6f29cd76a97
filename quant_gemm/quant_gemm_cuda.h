// The quantised GEMMs as nvcc compiled them (qwen3_quant_gemm_cuda), declared for host code built by the C++
// compiler (gemm_quant_bench, tests/test_cuda_quant_gemm.cpp), which must not include the shared dialect's header:
// under nvcc sim::global_ptr<T> is T*, so these are the launchers of quant_gemm.h with plain device pointers. The
// formats, shapes and errors are quant_gemm.h's. Launches are asynchronous on `stream`.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace qwen3::quant_gemm {

// X: [M, K] bf16 bits, Wq: [N, K] int8, S: [N, K/32] float, Y: [M, N] float (device pointers).
void gemm_w8a16(const uint16_t* X, const int8_t* Wq, const float* S, float* Y, int M, int N, int K,
                cudaStream_t stream = nullptr);
// X: [M, K] bf16 bits, Wb: [N, K/256 · 144] bytes of Q4_K super-blocks, Y: [M, N] float (device pointers).
void gemm_w4a16_q4k(const uint16_t* X, const uint8_t* Wb, float* Y, int M, int N, int K,
                    cudaStream_t stream = nullptr);

}  // namespace qwen3::quant_gemm
