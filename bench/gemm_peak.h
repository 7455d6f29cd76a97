// The device's real matrix-multiply rate, measured the way the analysis measured its H100's "about 750 TFLOP/s"
// (989 on paper): cuBLAS bf16 GEMMs C = A·B of n×n matrices with fp32 accumulation, timed with CUDA events.
// `qwen3emb bench` compares every cell's achieved TFLOP/s with it.
#pragma once
#include <string>

namespace qwen3::bench {

struct GemmPeak {
  double tflops = 0;   // 2·n³·iterations / elapsed seconds / 10¹²
  int n = 0;           // the matrices are n×n
  int iterations = 0;  // timed GEMMs (after the warm-up ones)
};

// Runs `warmup` and then `iterations` timed GEMMs on CUDA device 0. The inputs are random bf16 values: zeros
// would draw less power and let the clock run higher than in real work. CudaError naming the call without a
// device or on any failure.
GemmPeak measure_bf16_gemm(int n = 4096, int warmup = 10, int iterations = 50);

// The name of CUDA device 0, e.g. "NVIDIA H100 80GB HBM3". CudaError without a device.
std::string cuda_device_name();

}  // namespace qwen3::bench
