// Step 9: mma.sync with ldmatrix, a swizzled shared-memory layout and a 4-stage cp.async pipeline.
// The kernel and its idea are in 09_mma_sync_ldmatrix.cuh (shared with the optimised forward pass); this file is
// the ladder's launcher: fp32 output, stored as it is (StoreF32).
#include "cuda_opt/gemm/09_mma_sync_ldmatrix.cuh"

namespace qwen3::gemm {

void gemm_09_mma_sync_ldmatrix(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s) {
  detail::check_shape("gemm_09_mma_sync_ldmatrix", M, N, K, 0);
  step09::run(A, B, M, N, K, StoreF32{C, N, N % 2 == 0 && detail::aligned(C, 8)}, s, "gemm_09_mma_sync_ldmatrix");
}

}  // namespace qwen3::gemm
