// W8A16: Y = X · Wᵀ with int8 weights and one float scale per 32 of them (quant_gemm.h: the format, the kernel's
// shape and the bytes it saves). Compiled as C++ for the CPU simulator and, through a generated .cu, by nvcc.
#include <string>

#include "core/error.h"
#include "quant_gemm/quant_gemm.h"

namespace qwen3::quant_gemm {
namespace {

constexpr int kCols = 4;   // output features (weight rows) per warp: a block owns kWarps · kCols = 16
constexpr int kStep = 16;  // int8 codes per lane per load: one 16-byte vector

// X: [M, K] bf16, Wq: [N, K] int8, S: [N, K/32], Y: [M, N]. Block (bx, by): features 16·bx .., tokens 8·by ...
__global__ void __launch_bounds__(kWarps * kLanes, 4)  // <= 128 registers (145 without): 4 blocks per SM
    w8a16_kernel(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                 sim::global_ptr<float> Y, int M, int N, int K) {
  QWEN3_SHARED(float, partial, [kWarps][kRows * kCols][kLanes + 1]);  // for store_lane_sums
  const int lane = static_cast<int>(threadIdx.x) % kLanes, warp = static_cast<int>(threadIdx.x) / kLanes;
  const int n_block = static_cast<int>(blockIdx.x) * kWarps * kCols, n0 = n_block + warp * kCols;
  const int m0 = static_cast<int>(blockIdx.y) * kRows;
  const int rows = M - m0 < kRows ? M - m0 : kRows;
  const int scales_per_row = K / 32;

  float acc[kRows][kCols];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int c = 0; c < kCols; ++c) acc[r][c] = 0.0f;

  // Lane l reads codes k .. k+15 of each of its warp's rows, k = 16·l + 512·i: the warp's load is 512 contiguous bytes.
  for (int k = lane * kStep; k < K; k += kLanes * kStep) {
    float w[kCols][kStep], s[kCols];  // the codes as floats, converted once and used for every token
#pragma unroll
    for (int c = 0; c < kCols; ++c) {
      const int n = n0 + c < N ? n0 + c : N - 1;  // past the edge: read a real row, never store its sums
      const sim::Vec16<int8_t> q = sim::load_vec16(Wq + static_cast<int64_t>(n) * K + k);
      s[c] = S[static_cast<int64_t>(n) * scales_per_row + k / 32];  // the 16 codes lie in one 32-block
#pragma unroll
      for (int i = 0; i < kStep; ++i) w[c][i] = int8_to_float(q.v[i]);
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r >= rows) break;
      const sim::global_ptr<const uint16_t> xrow = X + static_cast<int64_t>(m0 + r) * K + k;
      const sim::Vec16<uint16_t> xa = sim::load_vec16(xrow), xb = sim::load_vec16(xrow + 8);
      float x[kStep];
#pragma unroll
      for (int i = 0; i < 8; ++i) x[i] = bf16_bits_to_float(xa.v[i]), x[8 + i] = bf16_bits_to_float(xb.v[i]);
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        float dot = 0.0f;  // Σ_i x_i · q_i, then one multiply by the block's scale: s · Σ x q = Σ x (s q)
#pragma unroll
        for (int i = 0; i < kStep; ++i) dot += x[i] * w[c][i];
        acc[r][c] += s[c] * dot;
      }
    }
  }
  store_lane_sums<kCols>(partial, acc, Y, M, N, m0, n_block);
}

}  // namespace

void gemm_w8a16(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                sim::global_ptr<float> Y, int M, int N, int K, sim::Stream stream) {
  if (M < 0 || N < 0 || K <= 0 || K % 32 != 0)
    throw InputError("gemm_w8a16: needs M, N >= 0 and K a positive multiple of 32, not M=" + std::to_string(M) +
                     " N=" + std::to_string(N) + " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  const dim3 grid((N + kWarps * kCols - 1) / (kWarps * kCols), (M + kRows - 1) / kRows);
  sim::launch_on(stream, w8a16_kernel, grid, dim3(kWarps * kLanes), X, Wq, S, Y, M, N, K);
}

}  // namespace qwen3::quant_gemm
