// Step 7: a double-buffered cp.async pipeline. While the block computes on one shared-memory slice, the copy
// engine of the SM (cp.async, sm_80+) fetches the next one straight from global memory into the other buffer.
//
// Idea: in steps 3-6 every slice is load → __syncthreads → compute → __syncthreads: the FMA pipes idle while the
// loads are in flight, and the loaded values pass through registers. cp.async copies global -> shared without
// registers and without blocking the thread, so slice t+1 is in flight while slice t is multiplied; the wait
// (cp.async.wait_group 1) lets the newest group stay outstanding.
//
// cp.async copies bytes as they are: it cannot transpose. The shared tiles are therefore kept K-contiguous,
// as in global memory (As[i][k], Bs[j][k], BK = 16, rows padded to 20 floats), and a thread reads its operands
// as float4 along k: per 4 k, 8 LDS.128 for A and 8 for B feed 256 FMAs (step 6: 16 LDS.128 for 256 FMAs, the
// same ratio). A thread owns rows trow + 16·i and columns tcol + 16·j (i, j < 8): the 8 lanes of a quarter-warp
// read 8 consecutive padded rows, 80 bytes apart, which fall in 8 different 16-byte bank groups (no conflict);
// the A reads are broadcasts.
//
// Preconditions of the 16-byte path, checked at run time: K a multiple of 4, A and B 16-byte aligned (a 16-byte
// cp.async needs an aligned source). Otherwise 4-byte cp.async per element (template kVec = false), each guarded.
// Out-of-range elements are zero-filled by cp.async's src-size operand (0 bytes read); outputs are guarded.
//
// Expected: the target of the issue is >= 80% of cuBLAS SGEMM at 4096³ on an H100. Same 32 FLOP per L2 byte
// as step 6 (128×128 tile), so the gain comes from hiding latency: ~1.1-1.3× step 6. Shared memory
// 2 stages × (128 + 128) × 20 × 4 B = 40 KB per block: 2 blocks per SM if registers allow (<= 128 per thread).
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 39.9 TFLOP/s at 4096³,
// 81.0% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 79.3% / 81.5% / 80.1% / 75.8%.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int BM = 128, BN = 128, BK = 16, TM = 8, TN = 8, kStages = 2;
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256: a 16 × 16 grid of threads
constexpr int kRow = BK + 4;                      // padded row length (floats): 80 bytes
static_assert(BM / TM == 16 && BN / TN == 16, "thread (trow, tcol) owns rows trow + 16 i, columns tcol + 16 j");
static_assert(BK % 4 == 0 && (kRow * 4) % 16 == 0, "float4 reads along k need 16-byte aligned rows");
static_assert((kRow * 4 / 16) % 2 == 1, "an odd number of 16-byte units per row: 8 consecutive rows, 8 bank groups");
static_assert((BM * BK / 4) % kThreads == 0 && (BN * BK / 4) % kThreads == 0, "whole 16-byte chunks per thread");
static_assert(kStages * (BM + BN) * kRow * 4 <= 48 * 1024, "static shared memory is limited to 48 KB");

// Issues the copies of slice k0 of A (rows m0..) into `as` and of B (rows n0..) into `bs`.
template <bool kVec>
__device__ __forceinline__ void load_slice(float (*as)[kRow], float (*bs)[kRow], const float* A, const float* B,
                                           int M, int N, int K, int m0, int n0, int k0) {
  const int t = threadIdx.x;
#pragma unroll
  for (int p = 0; p < BM * BK / 4 / kThreads; ++p) {
    const int idx = t + p * kThreads, r = idx / (BK / 4), kc = (idx % (BK / 4)) * 4;
    const int m = m0 + r, k = k0 + kc;
    if constexpr (kVec) {  // K % 4 == 0: the chunk is wholly in or wholly out
      const bool in = m < M && k < K;
      detail::cp_async_16(&as[r][kc], in ? A + static_cast<size_t>(m) * K + k : A, in ? 16 : 0);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool in = m < M && k + e < K;
        detail::cp_async_4(&as[r][kc + e], in ? A + static_cast<size_t>(m) * K + k + e : A, in ? 4 : 0);
      }
    }
  }
#pragma unroll
  for (int p = 0; p < BN * BK / 4 / kThreads; ++p) {
    const int idx = t + p * kThreads, r = idx / (BK / 4), kc = (idx % (BK / 4)) * 4;
    const int n = n0 + r, k = k0 + kc;
    if constexpr (kVec) {
      const bool in = n < N && k < K;
      detail::cp_async_16(&bs[r][kc], in ? B + static_cast<size_t>(n) * K + k : B, in ? 16 : 0);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const bool in = n < N && k + e < K;
        detail::cp_async_4(&bs[r][kc + e], in ? B + static_cast<size_t>(n) * K + k + e : B, in ? 4 : 0);
      }
    }
  }
}

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
template <bool kVec>
__global__ void __launch_bounds__(kThreads, 2) cp_async_kernel(const float* A, const float* B, float* C, int M, int N,
                                                            int K) {
  __shared__ __align__(16) float As[kStages][BM][kRow];  // As[s][i][k] = A[m0 + i][k0 + k] of the slice in stage s
  __shared__ __align__(16) float Bs[kStages][BN][kRow];
  const int t = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int trow = t / (BN / TN), tcol = t % (BN / TN);
  const int num_slices = detail::ceil_div(K, BK);

  // prologue: slice 0 in flight
  if (num_slices > 0) load_slice<kVec>(As[0], Bs[0], A, B, M, N, K, m0, n0, 0);
  detail::cp_async_commit();

  float acc[TM][TN] = {};
  for (int s = 0; s < num_slices; ++s) {
    const int cur = s % kStages;
    // fetch slice s+1 into the other stage (freed by the trailing barrier of iteration s-1); always commit a
    // group, possibly empty, so that "wait until 1 group is pending" always means "slice s has landed"
    if (s + 1 < num_slices) load_slice<kVec>(As[(s + 1) % kStages], Bs[(s + 1) % kStages], A, B, M, N, K, m0, n0,
                                             (s + 1) * BK);
    detail::cp_async_commit();
    detail::cp_async_wait<1>();
    __syncthreads();  // every thread's copies of slice s are visible
    // not unrolled: unrolling hoists all 4 groups of A loads (254 registers, 1 block per SM); rolled, the kernel
    // fits the 128 registers that __launch_bounds__(256, 2) allows without spilling (ptxas -v, CUDA 13.0)
#pragma unroll 1
    for (int kk = 0; kk < BK; kk += 4) {
      float4 a[TM];
#pragma unroll
      for (int i = 0; i < TM; ++i) a[i] = *reinterpret_cast<const float4*>(&As[cur][trow + 16 * i][kk]);
#pragma unroll
      for (int j = 0; j < TN; ++j) {
        const float4 b = *reinterpret_cast<const float4*>(&Bs[cur][tcol + 16 * j][kk]);
#pragma unroll
        for (int i = 0; i < TM; ++i) {
          float c = acc[i][j];  // in k order, like the other steps
          c += a[i].x * b.x;
          c += a[i].y * b.y;
          c += a[i].z * b.z;
          c += a[i].w * b.w;
          acc[i][j] = c;
        }
      }
    }
    __syncthreads();  // stage `cur` is read by everyone before iteration s+1 refills it
  }
  detail::cp_async_wait<0>();  // nothing may be in flight when the block exits (only empty groups remain)

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + trow + 16 * i;
    if (m >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tcol + 16 * j;
      if (n < N) C[static_cast<size_t>(m) * N + n] = acc[i][j];
    }
  }
}

}  // namespace

void gemm_07_cp_async_double_buffer(const float* A, const float* B, float* C, int M, int N, int K,
                                    cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, BN), detail::ceil_div(M, BM));
  detail::check_shape("gemm_07_cp_async_double_buffer", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  const bool vec = K % 4 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16);
  if (vec) {
    cp_async_kernel<true><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  } else {
    cp_async_kernel<false><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  }
  QWEN3_CUDA_CHECK_LAUNCH("gemm_07_cp_async_double_buffer");
}

}  // namespace qwen3::gemm
