// The CPU's fp32 matrix-product rate, measured: what `qwen3emb bench --backend cpu` compares the forward pass
// with, as the GPU backends compare theirs with a cuBLAS GEMM (bench/gemm_peak.h).
#pragma once
#include <cstdint>

namespace qwen3::cpu {

struct GemmRate {
  int64_t n = 0;        // an n×n×n product
  int threads = 0;      // threads it ran on (ref_cpu/threads.h)
  double seconds = 0;   // the fastest of the timed products
  double gflops = 0;    // 2·n³ / seconds / 1e9
};

// Times y = x Wᵀ with x, W: [n, n] through linear() (Eigen's blocked GEMM, columns shared among the threads
// exactly as the forward pass shares them): one untimed product, then `repeats`; the fastest counts.
GemmRate measure_gemm_rate(int64_t n = 2048, int repeats = 3);

}  // namespace qwen3::cpu
