// W4A16: Y = X · Wᵀ with W in Q4_K super-blocks, straight from a GGUF tensor (quant_gemm.h: the format, the kernel's
// shape and the bytes it saves; core/quant.cpp draws the 144-byte super-block). Compiled as C++ for the CPU simulator
// and, through a generated .cu, by nvcc.
#include <string>

#include "core/error.h"
#include "quant_gemm/quant_gemm.h"

namespace qwen3::quant_gemm {
namespace {

constexpr int kCols = 2;          // output features (weight rows) per warp: a block owns kWarps · kCols = 8 (4 would
                                  // take 223 registers: 2 blocks per SM, or spills when capped)
constexpr int kBlockBytes = 144;  // one super-block: 256 weights
constexpr int kChunks = 8;        // 16-byte chunks of codes per super-block: 8 lanes share one super-block

// Sub-block j's 6-bit scale and min (0..63): core/quant.cpp's unpack_q4_k_scale_min, reading the 12 packed bytes
// (bytes 4 .. 15 of the header a lane loaded with one vector load) as three little-endian words. j differs between
// lanes, and indexing a byte array with it would put the array in local memory; shifts and selects stay in registers.
struct PackedScales {
  uint32_t w[3];  // w[i / 4] >> 8 (i % 4): scale byte i
  __host__ __device__ __forceinline__ explicit PackedScales(const sim::Vec16<uint8_t>& hdr) {
    for (int i = 0; i < 3; ++i)
      w[i] = uint32_t{hdr.v[4 + 4 * i]} | uint32_t{hdr.v[5 + 4 * i]} << 8 | uint32_t{hdr.v[6 + 4 * i]} << 16 |
             uint32_t{hdr.v[7 + 4 * i]} << 24;
  }
  __host__ __device__ __forceinline__ int byte(int i) const {
    const uint32_t word = i < 4 ? w[0] : (i < 8 ? w[1] : w[2]);
    return static_cast<int>((word >> (8 * (i & 3))) & 0xFFu);
  }
  __host__ __device__ __forceinline__ void scale_min(int j, int& sc, int& m) const {
    if (j < 4) {
      sc = byte(j) & 0x3F;
      m = byte(j + 4) & 0x3F;
    } else {
      sc = (byte(j + 4) & 0x0F) | ((byte(j - 4) >> 6) << 4);
      m = (byte(j + 4) >> 4) | ((byte(j) >> 6) << 4);
    }
  }
};

// X: [M, K] bf16, Wb: [N, K/256 · 144] bytes, Y: [M, N]. Block (bx, by): features 8·bx .. 8·bx+7, tokens 8·by ...
// Lane l works on super-block l/8 (+ 4i) of each row and, in it, on code chunk j = l % 8: bytes 16j .. 16j+15 of
// qs, i.e. pair c = j/2 of sub-blocks, values 64c + 16(j%2) + i (low nibbles, sub-block 2c) and 64c + 32 +
// 16(j%2) + i (high nibbles, sub-block 2c+1), i = 0..15. The warp's loads cover 4 whole super-blocks: 576
// contiguous bytes.
__global__ void __launch_bounds__(kWarps * kLanes, 4)  // <= 128 registers: 4 blocks (16 warps) per SM
    w4a16_q4k_kernel(sim::global_ptr<const uint16_t> X, sim::global_ptr<const uint8_t> Wb, sim::global_ptr<float> Y,
                     int M, int N, int K) {
  QWEN3_SHARED(float, partial, [kWarps][kRows * kCols][kLanes + 1]);  // for store_lane_sums
  const int lane = static_cast<int>(threadIdx.x) % kLanes, warp = static_cast<int>(threadIdx.x) / kLanes;
  const int n_block = static_cast<int>(blockIdx.x) * kWarps * kCols, n0 = n_block + warp * kCols;
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
      const PackedScales scales(hdr);
      int sc, m;
      scales.scale_min(2 * pair, sc, m);
      d_lo[c] = d * static_cast<float>(sc), min_lo[c] = dmin * static_cast<float>(m);
      scales.scale_min(2 * pair + 1, sc, m);
      d_hi[c] = d * static_cast<float>(sc), min_hi[c] = dmin * static_cast<float>(m);
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (r >= rows) break;
      const sim::global_ptr<const uint16_t> xrow = X + static_cast<int64_t>(m0 + r) * K + int64_t{b} * 256 + first;
      // The low nibbles (sub-block 2·pair, values first .. first+15), then the high ones (sub-block 2·pair + 1, 32
      // values on): one half's activations in registers at a time.
#pragma unroll
      for (int half = 0; half < 2; ++half) {
        const sim::Vec16<uint16_t> x0 = sim::load_vec16(xrow + 32 * half), x1 = sim::load_vec16(xrow + 32 * half + 8);
        float x[16], sum_x = 0.0f;
#pragma unroll
        for (int i = 0; i < 8; ++i) x[i] = bf16_bits_to_float(x0.v[i]), x[8 + i] = bf16_bits_to_float(x1.v[i]);
#pragma unroll
        for (int i = 0; i < 16; ++i) sum_x += x[i];
#pragma unroll
        for (int c = 0; c < kCols; ++c) {
          // Σ x·q over the half's 16 codes, widened here, once per token: keeping all of them as floats would
          // cost 2 × 32 registers, and past M ≈ 5 the kernel is compute bound anyway.
          float dot = 0.0f;
#pragma unroll
          for (int i = 0; i < 16; ++i) dot += x[i] * nibble_to_float(half == 0 ? qs[c].v[i] & 0x0Fu : qs[c].v[i] >> 4);
          // Σ x·(d·sc·q − dmin·m) = d·sc·Σ x·q − dmin·m·Σ x over one sub-block
          acc[r][c] += half == 0 ? d_lo[c] * dot - min_lo[c] * sum_x : d_hi[c] * dot - min_hi[c] * sum_x;
        }
      }
    }
  }

  store_lane_sums<kCols>(partial, acc, Y, M, N, m0, n_block);
}

}  // namespace

void gemm_w4a16_q4k(sim::global_ptr<const uint16_t> X, sim::global_ptr<const uint8_t> Wb, sim::global_ptr<float> Y,
                    int M, int N, int K, sim::Stream stream) {
  if (M < 0 || N < 0 || K <= 0 || K % 256 != 0)
    throw InputError("gemm_w4a16_q4k: needs M, N >= 0 and K a positive multiple of 256 (Q4_K's super-block), not M=" +
                     std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  const dim3 grid((N + kWarps * kCols - 1) / (kWarps * kCols), (M + kRows - 1) / kRows);
  sim::launch_on(stream, w4a16_q4k_kernel, grid, dim3(kWarps * kLanes), X, Wb, Y, M, N, K);
}

}  // namespace qwen3::quant_gemm
