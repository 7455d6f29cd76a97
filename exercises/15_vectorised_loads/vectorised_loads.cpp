// Exercise 15_vectorised_loads — the one file you edit. Statement: exercises/15_vectorised_loads/README.md.
// Check your answer: qwen3emb exercise check 15_vectorised_loads
// This file compiles for the CPU simulator (the checks) and, unchanged, with nvcc for a real GPU.
#include "exercises/15_vectorised_loads/vectorised_loads.h"

#include "exercises/common/todo.h"

namespace learner {

constexpr int BM = 64, BN = 64, BK = 8;          // block tile of C, and the k slice staged in shared memory
constexpr int TM = 4, TN = 4;                    // each thread's micro-tile of C
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256

// Block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]; thread t the 4×4 micro-tile at rows (t / 16) * TM ..,
// columns (t % 16) * TN ..   vec: K % 4 == 0, so four consecutive k of a row are one aligned float4.
__global__ void gemm_vectorised_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                       sim::global_ptr<float> C, int M, int N, int K, bool vec) {
  // TODO: your 14_register_blocking kernel, with the slice loads changed: a 64×8 slice is 128 float4, so
  //   threads 0-127 fetch A's slice and threads 128-255 B's, one float4 each (two lanes per row, four k each):
  //     float4 v = sim::load_float4(A + row * K + k);   (under nvcc: *reinterpret_cast<const float4*>(...))
  //   then store v.x, v.y, v.z, v.w into As[k - k0 + 0 .. 3][row - m0]. Zeros outside A; and when !vec, four
  //   scalar loads instead (a float4 must be 16-byte aligned).
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K, (void)vec;
}

void gemm_vectorised(sim::global_ptr<const float> A, sim::global_ptr<const float> B, sim::global_ptr<float> C, int M,
                     int N, int K) {
  // TODO: vec = (K % 4 == 0); kThreads threads, ⌈N/BN⌉ × ⌈M/BM⌉ blocks, sim::launch(..., vec)
  (void)A, (void)B, (void)C, (void)M, (void)N, (void)K, (void)kThreads;
  qwen3::exercises::not_implemented("15_vectorised_loads", "vectorised_loads.cpp",
                                    "one float4 per thread and slice: threads 0-127 load A's 64×8 slice, 128-255 B's");
}

}  // namespace learner
