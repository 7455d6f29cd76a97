// W4A16: Y = X · Wᵀ with W in Q4_K super-blocks, straight from a GGUF tensor (quant_gemm.h: the format, the kernel's
// shape and the bytes it saves; core/quant.cpp draws the 144-byte super-block). Compiled as C++ for the CPU simulator
// and, through a generated .cu, by nvcc.
#include <string>

#include "core/error.h"
#include "quant_gemm/quant_gemm.h"

namespace qwen3::quant_gemm {
namespace {

constexpr int kWarps = 4;        // warps per block
constexpr int kCols = 4;         // output features (weight rows) per warp: a block owns kWarps · kCols = 16
constexpr int kRows = 8;         // tokens per block: grid.y = ceil(M / kRows)
constexpr int kLanes = 32;
constexpr int kBlockBytes = 144;  // one super-block: 256 weights
constexpr int kChunks = 8;        // 16-byte chunks of codes per super-block: 8 lanes share one super-block

// Sub-block j's 6-bit scale and min (0..63) from the 12 packed bytes at hdr.v[4 ..]: core/quant.cpp's
// unpack_q4_k_scale_min, on the header a lane loaded with one vector load.
__host__ __device__ __forceinline__ void scale_min(const sim::Vec16<uint8_t>& hdr, int j, int& sc, int& m) {
  const uint8_t* scales = hdr.v + 4;
  if (j < 4) {
    sc = scales[j] & 0x3F;
    m = scales[j + 4] & 0x3F;
  } else {
    sc = (scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4);
    m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// X: [M, K] bf16, Wb: [N, K/256 · 144] bytes, Y: [M, N]. Block (bx, by): features n0 .. n0+15, tokens m0 .. m0+7.
// Lane l works on super-block l/8 (+ 4i) of each row and, in it, on code chunk j = l % 8: bytes 16j .. 16j+15 of
// qs, i.e. pair c = j/2 of sub-blocks, values 64c + 16(j%2) + i (low nibbles, sub-block 2c) and 64c + 32 +
// 16(j%2) + i (high nibbles, sub-block 2c+1), i = 0..15. The warp's loads cover 4 whole super-blocks: 576
// contiguous bytes.
__global__ void __launch_bounds__(kWarps * kLanes)
    w4a16_q4k_kernel(sim::global_ptr<const uint16_t> X, sim::global_ptr<const uint8_t> Wb, sim::global_ptr<float> Y,
                     int M, int N, int K) {
  QWEN3_SHARED(float, partial, [kWarps][kRows * kCols][kLanes + 1]);  // as in w8a16.cpp
  const int lane = static_cast<int>(threadIdx.x) % kLanes, warp = static_cast<int>(threadIdx.x) / kLanes;
  const int n0 = (static_cast<int>(blockIdx.x) * kWarps + warp) * kCols;
  const int m0 = static_cast<int>(blockIdx.y) * kRows;
  const int rows = M - m0 < kRows ? M - m0 : kRows;
  const int blocks_per_row = K / 256;
  const int64_t row_bytes = static_cast<int64_t>(blocks_per_row) * kBlockBytes;
  const int j = lane % kChunks, pair = j / 2, first = 64 * pair + 16 * (j % 2);  // first low-nibble value

  float acc[kRows][kCols];
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int c = 0; c < kCols; ++c) acc[r][c] = 0.0f;

  for (int b = lane / kChunks; b < blocks_per_row; b += kLanes / kChunks) {
    sim::Vec16<uint8_t> qs[kCols];
    float d_lo[kCols], min_lo[kCols], d_hi[kCols], min_hi[kCols];  // d·sc and dmin·m of sub-blocks 2c, 2c+1
#pragma unroll
    for (int c = 0; c < kCols; ++c) {
      const int n = n0 + c < N ? n0 + c : N - 1;  // past the edge: read a real row, never store its sums
      const sim::global_ptr<const uint8_t> block = Wb + static_cast<int64_t>(n) * row_bytes + int64_t{b} * kBlockBytes;
      const sim::Vec16<uint8_t> hdr = sim::load_vec16(block);  // d, dmin, scales[12]: the 8 lanes of a block share it
      qs[c] = sim::load_vec16(block + 16 + 16 * j);
      const float d = f16_bits_to_float(static_cast<uint16_t>(hdr.v[0] | (hdr.v[1] << 8)));
      const float dmin = f16_bits_to_float(static_cast<uint16_t>(hdr.v[2] | (hdr.v[3] << 8)));
      int sc, m;
      scale_min(hdr, 2 * pair, sc, m);
      d_lo[c] = d * static_cast<float>(sc), min_lo[c] = dmin * static_cast<float>(m);
      scale_min(hdr, 2 * pair + 1, sc, m);
      d_hi[c] = d * static_cast<float>(sc), min_hi[c] = dmin * static_cast<float>(m);
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r >= rows) break;
      const sim::global_ptr<const uint16_t> xrow = X + static_cast<int64_t>(m0 + r) * K + int64_t{b} * 256 + first;
      const sim::Vec16<uint16_t> a0 = sim::load_vec16(xrow), a1 = sim::load_vec16(xrow + 8);       // low nibbles' x
      const sim::Vec16<uint16_t> b0 = sim::load_vec16(xrow + 32), b1 = sim::load_vec16(xrow + 40);  // high nibbles' x
      float xlo[16], xhi[16], sum_lo = 0.0f, sum_hi = 0.0f;
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        xlo[i] = bf16_bits_to_float(a0.v[i]), xlo[8 + i] = bf16_bits_to_float(a1.v[i]);
        xhi[i] = bf16_bits_to_float(b0.v[i]), xhi[8 + i] = bf16_bits_to_float(b1.v[i]);
      }
#pragma unroll
      for (int i = 0; i < 16; ++i) sum_lo += xlo[i], sum_hi += xhi[i];
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        float dot_lo = 0.0f, dot_hi = 0.0f;  // Σ x·q over the chunk's 16 low and 16 high nibbles
#pragma unroll
        for (int i = 0; i < 16; ++i) {
          dot_lo += xlo[i] * static_cast<float>(qs[c].v[i] & 0x0F);
          dot_hi += xhi[i] * static_cast<float>(qs[c].v[i] >> 4);
        }
        // Σ x·(d·sc·q − dmin·m) = d·sc·Σ x·q − dmin·m·Σ x, per sub-block
        acc[r][c] += d_lo[c] * dot_lo - min_lo[c] * sum_lo + d_hi[c] * dot_hi - min_hi[c] * sum_hi;
      }
    }
  }

#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int c = 0; c < kCols; ++c) partial[warp][r * kCols + c][lane] = acc[r][c];
  __syncthreads();
  const int t = static_cast<int>(threadIdx.x), w = t / (kRows * kCols), rc = t % (kRows * kCols);
  float sum = 0.0f;
  for (int l = 0; l < kLanes; ++l) sum += partial[w][rc][l];
  const int m = m0 + rc / kCols, n = (static_cast<int>(blockIdx.x) * kWarps + w) * kCols + rc % kCols;
  if (m < M && n < N) Y[static_cast<int64_t>(m) * N + n] = sum;
}

}  // namespace

void gemm_w4a16_q4k(sim::global_ptr<const uint16_t> X, sim::global_ptr<const uint8_t> Wb, sim::global_ptr<float> Y,
                    int M, int N, int K) {
  if (M < 0 || N < 0 || K <= 0 || K % 256 != 0)
    throw InputError("gemm_w4a16_q4k: needs M, N >= 0 and K a positive multiple of 256 (Q4_K's super-block), not M=" +
                     std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  static_assert(kWarps * kLanes == kWarps * kRows * kCols, "one reducing thread per (warp, row, feature)");
  const dim3 grid((N + kWarps * kCols - 1) / (kWarps * kCols), (M + kRows - 1) / kRows);
  sim::launch(w4a16_q4k_kernel, grid, dim3(kWarps * kLanes), X, Wb, Y, M, N, K);
}

}  // namespace qwen3::quant_gemm
