// Step 6: vectorised 128-bit loads and stores, and a conflict-free thread layout for the shared tiles.
//
// Idea: step 5 moves everything 4 bytes at a time. Here each thread loads A and B from global memory as float4
// (LDG.128: a quarter of the load instructions, 32-byte row segments read by 2 lanes), transposes them into the
// k-major shared tiles, reads its operands from shared memory as float4 (LDS.128: 4 per k instead of 16), and
// stores C as float4. A thread's 8×8 outputs are split into four 4×4 blocks at rows {4·trow, 64 + 4·trow} and
// columns {4·tcol, 64 + 4·tcol}: the 8 lanes of a quarter-warp then read 8 consecutive float4 of a shared row
// (128 bytes, no bank conflict; step 5's 8-float stride gave 4-way conflicts). Rows padded by 4 floats keep the
// float4 alignment and spread the transposing stores over all 32 banks.
//
// Preconditions of the vector path, checked at run time: K and N multiples of 4, A, B and C 16-byte aligned
// (then a float4 along k is either wholly inside the matrix or wholly outside). Otherwise the same kernel runs
// with scalar guarded loads and stores (template parameter kVec = false). Edges as before: zero fill, guards.
//
// Expected: ~1.3-1.5× step 5: same 32 FLOP per L2 byte, but a quarter of the memory instructions, so the FMA
// pipes stay busier; siboehm's equivalent reached ~70% of cuBLAS at 4096³ on an A6000.
// measured (H100 80GB HBM3, 2026-11-26, docs/results/gemm-ladder.md): 35.6 TFLOP/s at 4096³,
// 72.3% of cuBLAS fp32; 8B shapes (qkv / o_proj / gate+up / down) at M = 4096: 70.3% / 72.8% / 70.4% / 68.5%.
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8;
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256
constexpr int kPad = 4;                           // floats: keeps 16-byte alignment of every row
static_assert(TM == 8 && TN == 8, "the thread layout splits 8×8 outputs into four 4×4 blocks");
static_assert(BM == 2 * 4 * (BM / TM) && BN == 2 * 4 * (BN / TN), "two 4-wide strips per thread span the tile");
static_assert(BK % 4 == 0 && BM * BK / 4 == kThreads && BN * BK / 4 == kThreads, "one float4 of A and B per thread");
static_assert(((BM + kPad) * 4) % 16 == 0 && ((BN + kPad) * 4) % 16 == 0, "shared rows must stay 16-byte aligned");

// C[M,N] = A[M,K] · B[N,K]ᵀ; block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]
template <bool kVec>
__global__ void __launch_bounds__(kThreads) vectorized_kernel(const float* A, const float* B, float* C, int M, int N,
                                                              int K) {
  __shared__ __align__(16) float As[BK][BM + kPad];  // As[k][i] = A[m0 + i][k0 + k]
  __shared__ __align__(16) float Bs[BK][BN + kPad];  // Bs[k][j] = B[n0 + j][k0 + k]
  const int t = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int trow = t / (BN / TN), tcol = t % (BN / TN);  // 16 × 16 threads
  // load mapping: row r of the slice, k offset kq (two float4 per 8-wide row)
  const int load_r = t / (BK / 4), load_k = (t % (BK / 4)) * 4;

  float acc[TM][TN] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    const int k = k0 + load_k;
    float4 a = make_float4(0.f, 0.f, 0.f, 0.f), b = a;
    const int am = m0 + load_r, bn = n0 + load_r;
    if constexpr (kVec) {  // K % 4 == 0: the float4 is wholly in or wholly out
      if (am < M && k < K) a = *reinterpret_cast<const float4*>(A + static_cast<size_t>(am) * K + k);
      if (bn < N && k < K) b = *reinterpret_cast<const float4*>(B + static_cast<size_t>(bn) * K + k);
    } else {
      const float* ar = A + static_cast<size_t>(am) * K;
      const float* br = B + static_cast<size_t>(bn) * K;
      if (am < M) {
        a.x = k < K ? ar[k] : 0.f, a.y = k + 1 < K ? ar[k + 1] : 0.f;
        a.z = k + 2 < K ? ar[k + 2] : 0.f, a.w = k + 3 < K ? ar[k + 3] : 0.f;
      }
      if (bn < N) {
        b.x = k < K ? br[k] : 0.f, b.y = k + 1 < K ? br[k + 1] : 0.f;
        b.z = k + 2 < K ? br[k + 2] : 0.f, b.w = k + 3 < K ? br[k + 3] : 0.f;
      }
    }
    // transpose into the k-major tiles
    As[load_k + 0][load_r] = a.x, As[load_k + 1][load_r] = a.y, As[load_k + 2][load_r] = a.z,
    As[load_k + 3][load_r] = a.w;
    Bs[load_k + 0][load_r] = b.x, Bs[load_k + 1][load_r] = b.y, Bs[load_k + 2][load_r] = b.z,
    Bs[load_k + 3][load_r] = b.w;
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      // a_reg[0..3] = rows 4·trow.., a_reg[4..7] = rows 64 + 4·trow..; the same for b_reg and columns
      const float4 a_lo = *reinterpret_cast<const float4*>(&As[kk][trow * 4]);
      const float4 a_hi = *reinterpret_cast<const float4*>(&As[kk][BM / 2 + trow * 4]);
      const float4 b_lo = *reinterpret_cast<const float4*>(&Bs[kk][tcol * 4]);
      const float4 b_hi = *reinterpret_cast<const float4*>(&Bs[kk][BN / 2 + tcol * 4]);
      const float a_reg[TM] = {a_lo.x, a_lo.y, a_lo.z, a_lo.w, a_hi.x, a_hi.y, a_hi.z, a_hi.w};
      const float b_reg[TN] = {b_lo.x, b_lo.y, b_lo.z, b_lo.w, b_hi.x, b_hi.y, b_hi.z, b_hi.w};
#pragma unroll
      for (int i = 0; i < TM; ++i) {
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += a_reg[i] * b_reg[j];
      }
    }
    __syncthreads();
  }
  // store: accumulator row i is tile row (i < 4 ? 4·trow + i : 64 + 4·trow + i - 4); the same for columns
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + (i < 4 ? trow * 4 + i : BM / 2 + trow * 4 + (i - 4));
    if (m >= M) continue;
    float* c_row = C + static_cast<size_t>(m) * N;
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int n = n0 + half * (BN / 2) + tcol * 4;
      const float* v = &acc[i][half * 4];
      if constexpr (kVec) {  // N % 4 == 0: the float4 is wholly in or wholly out
        if (n < N) *reinterpret_cast<float4*>(c_row + n) = make_float4(v[0], v[1], v[2], v[3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          if (n + j < N) c_row[n + j] = v[j];
        }
      }
    }
  }
}

}  // namespace

void gemm_06_vectorized(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s) {
  const dim3 grid(detail::ceil_div(N, BN), detail::ceil_div(M, BM));
  detail::check_shape("gemm_06_vectorized", M, N, K, grid.y);
  if (M == 0 || N == 0) return;
  const bool vec = K % 4 == 0 && N % 4 == 0 && detail::aligned(A, 16) && detail::aligned(B, 16) &&
                   detail::aligned(C, 16);
  if (vec) {
    vectorized_kernel<true><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  } else {
    vectorized_kernel<false><<<grid, kThreads, 0, s>>>(A, B, C, M, N, K);
  }
  QWEN3_CUDA_CHECK_LAUNCH("gemm_06_vectorized");
}

}  // namespace qwen3::gemm
