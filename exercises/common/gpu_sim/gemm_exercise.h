// What the GEMM kernel exercises' tests share (11_first_kernel to 15_vectorised_loads): run the learner's
// C = A·Bᵀ on the simulator with random inputs and a NaN-poisoned C (an output never written shows as NaN, as
// gemm_ladder's poisoning does on the GPU), hold it against ref_cpu's linear, and hand back the simulator's counts
// for the exercise's budget.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "exercises/common/check.h"
#include "exercises/common/gpu_sim/cuda_compat.h"
#include "ref_cpu/ops.h"

namespace qwen3::exercises {

// The learner's launcher: C[M,N] = A[M,K] · B[N,K]ᵀ, all row-major.
using GemmFn = void (*)(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C,
                        int M, int N, int K);

struct GemmRun {
  std::vector<float> A, B, C, want;
  sim::Stats stats;
};

inline GemmRun run_gemm(GemmFn gemm, int M, int N, int K, uint64_t seed) {
  GemmRun r;
  r.A = random_values(int64_t(M) * K, seed);
  r.B = random_values(int64_t(N) * K, seed + 1);
  r.C.assign(size_t(M) * N, std::numeric_limits<float>::quiet_NaN());
  r.want.assign(r.C.size(), 0.0f);
  qwen3::cpu::linear(r.A.data(), r.B.data(), M, K, N, r.want.data());
  sim::Capture capture;
  gemm(sim::global(std::as_const(r.A), "A"), sim::global(std::as_const(r.B), "B"), sim::global(r.C, "C"), M, N, K);
  r.stats = capture.stats();
  return r;
}

inline std::string shape(int M, int N, int K) {
  std::string s = "C for M=";
  s.append(std::to_string(M)).append(", N=").append(std::to_string(N)).append(", K=").append(std::to_string(K));
  return s;
}

// The learner's C against the reference (fp32 sums of ≤ a few hundred products in any order: 1e-5 relative).
inline ::testing::AssertionResult gemm_matches(GemmFn gemm, int M, int N, int K, uint64_t seed) {
  const GemmRun r = run_gemm(gemm, M, N, K, seed);
  return close_to(r.C, r.want, 1e-5, shape(M, N, K));
}

}  // namespace qwen3::exercises
