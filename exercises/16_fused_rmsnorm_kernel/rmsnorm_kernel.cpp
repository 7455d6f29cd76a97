// Exercise 16_fused_rmsnorm_kernel — the one file you edit. Statement: exercises/16_fused_rmsnorm_kernel/README.md.
// Check your answer: qwen3emb exercise check 16_fused_rmsnorm_kernel
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/16_fused_rmsnorm_kernel/rmsnorm_kernel.h"

#include "exercises/common/todo.h"

namespace learner {

constexpr int kThreads = 256;      // one block per row
constexpr int kMaxPerThread = 16;  // a row of up to 256 · 16 = 4096 floats stays in registers

// One block per row r: ss = Σ_i x[r,i]² (a block reduction), then y[r,i] = w[i] · x[r,i] / sqrt(ss / n + eps)
// x, y: [rows, n] (may alias), w: [n]
__global__ void rms_norm_kernel(sim::global_ptr<const float> x, sim::global_ptr<const float> w, int n, float eps,
                                sim::global_ptr<float> y) {
  // TODO: 1. thread t reads x[r, t], x[r, t + 256], … into float v[kMaxPerThread] and sums their squares;
  //       2. a block reduction of the 256 sums through QWEN3_SHARED(float, partial, [kThreads]) and
  //          __syncthreads() (halve the active threads each step);
  //       3. inv_rms = 1 / sqrtf(ss / n + eps); y[r, i] = w[i] · v · inv_rms for the elements this thread read.
  (void)x, (void)w, (void)n, (void)eps, (void)y;
}

void rms_norm_gpu(sim::global_ptr<const float> x, sim::global_ptr<const float> w, int rows, int n, float eps,
                  sim::global_ptr<float> y) {
  // TODO: one block of kThreads threads per row: sim::launch(rms_norm_kernel, dim3(rows), dim3(kThreads), ...)
  (void)x, (void)w, (void)rows, (void)n, (void)eps, (void)y, (void)kMaxPerThread;
  qwen3::exercises::not_implemented("16_fused_rmsnorm_kernel", "rmsnorm_kernel.cpp",
                                    "one block per row; each thread sums the squares of x[t], x[t + 256], …");
}

}  // namespace learner
