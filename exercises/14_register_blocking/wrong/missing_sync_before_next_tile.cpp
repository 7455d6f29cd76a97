// mistake: no __syncthreads() after the k loop: a thread that finishes its outer products first stores the next slice over operands other threads are still reading
#include "exercises/14_register_blocking/register_blocking.h"

namespace learner {

constexpr int BM = 64, BN = 64, BK = 8;          // block tile of C, and the k slice staged in shared memory
constexpr int TM = 4, TN = 4;                    // each thread's micro-tile of C
constexpr int kThreads = (BM / TM) * (BN / TN);  // 256
constexpr int kPad = 4;                          // k-major rows of 68 floats: the transposing stores hit 32 banks
static_assert((BM * BK) % kThreads == 0 && (BN * BK) % kThreads == 0, "each thread loads whole elements");

// Block (bx, by) computes C[by*BM .. +BM][bx*BN .. +BN]; thread t the 4×4 micro-tile at rows (t / 16) * TM ..,
// columns (t % 16) * TN ..
// A: [M, K], B: [N, K], C: [M, N]
__global__ void gemm_register_blocking_kernel(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                                              sim::global_ptr<float> C, int M, int N, int K) {
  QWEN3_SHARED(float, As, [BK][BM + kPad]);  // As[k][i] = A[m0 + i][k0 + k]
  QWEN3_SHARED(float, Bs, [BK][BN + kPad]);  // Bs[k][j] = B[n0 + j][k0 + k]
  const int t = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int trow = t / (BN / TN), tcol = t % (BN / TN);  // this thread's micro-tile

  float acc[TM][TN] = {};
  float a_reg[TM], b_reg[TN];
  for (int k0 = 0; k0 < K; k0 += BK) {
    // load: pass p covers rows (t + p·256) / BK of the slice, BK lanes per row along k (one sector per row)
    for (int p = 0; p < BM * BK / kThreads; ++p) {
      const int idx = t + p * kThreads, r = idx / BK, kk = idx % BK, k = k0 + kk;
      As[kk][r] = (m0 + r < M && k < K) ? A[(m0 + r) * K + k] : 0.0f;
    }
    for (int p = 0; p < BN * BK / kThreads; ++p) {
      const int idx = t + p * kThreads, r = idx / BK, kk = idx % BK, k = k0 + kk;
      Bs[kk][r] = (n0 + r < N && k < K) ? B[(n0 + r) * K + k] : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < BK; ++kk) {
      for (int i = 0; i < TM; ++i) a_reg[i] = As[kk][trow * TM + i];  // TM + TN shared loads ...
      for (int j = 0; j < TN; ++j) b_reg[j] = Bs[kk][tcol * TN + j];
      for (int i = 0; i < TM; ++i) {
        for (int j = 0; j < TN; ++j) acc[i][j] += a_reg[i] * b_reg[j];  // ... for TM·TN multiply-adds
      }
    }
  }
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + trow * TM + i;
    for (int j = 0; j < TN; ++j) {
      const int n = n0 + tcol * TN + j;
      if (m < M && n < N) C[m * N + n] = acc[i][j];
    }
  }
}

void gemm_register_blocking(sim::global_ptr<const float> A, sim::global_ptr<const float> B,
                            sim::global_ptr<float> C, int M, int N, int K) {
  if (M == 0 || N == 0) return;
  const dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM);
  sim::launch(gemm_register_blocking_kernel, grid, dim3(kThreads), A, B, C, M, N, K);
}

}  // namespace learner
