// The kernel exercises' launchers compiled by nvcc (built only with CUDA): the learner's files and the reference
// solutions, for gemm_ladder --learner (the learner's GEMMs as extra rows) and tests/test_cuda_exercise_kernels.cpp.
// Plain C++: pointers are device pointers; a launcher that the learner has not written yet throws
// qwen3::exercises::NotImplemented, as on the simulator.
#pragma once
#include <vector>

namespace qwen3::exercises {

// C[M,N] = A[M,K] · B[N,K]ᵀ on device buffers (default stream)
using GemmLauncher = void (*)(const float* A, const float* B, float* C, int M, int N, int K);
// y = x / sqrt(mean(x²) + eps) * w per row, on device buffers; x, y: [rows, n], w: [n]
using RmsNormLauncher = void (*)(const float* x, const float* w, int rows, int n, float eps, float* y);

struct GpuGemm {
  const char* exercise;  // "12_coalescing"
  GemmLauncher launch;
};

struct GpuKernels {
  std::vector<GpuGemm> gemms;  // 11_first_kernel .. 15_vectorised_loads, in course order
  RmsNormLauncher rms_norm;    // 16_fused_rmsnorm_kernel
};

const GpuKernels& learner_gpu_kernels();   // exercises/NN_name/<file>: what the learner wrote
const GpuKernels& solution_gpu_kernels();  // exercises/NN_name/solution/<file>

}  // namespace qwen3::exercises
