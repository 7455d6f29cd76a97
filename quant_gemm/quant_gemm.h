// Weight-only quantised GEMMs: int8 weights (W8A16) and Q4_K's 4.5-bit weights (W4A16), bf16 activations, fp32
// accumulation, dequantised in registers inside the main loop. The GEMM ladder's quantised steps (docs/gemm_ladder.md,
// "Quantised weights"), written once in the kernel exercises' shared dialect (exercises/common/gpu_sim/cuda_compat.h):
// the same source runs on the CPU simulator (tests/test_quant_gemm_sim.cpp, in CI) and, compiled by nvcc, on a GPU
// (gemm_quant_bench, tests/test_cuda_quant_gemm.cpp).
//
//   Y[m][n] = Σ_k X[m][k] · W[n][k]        X: [M, K] bf16 bits, Y: [M, N] float, W dequantised on the fly
//
// Why weight-only: an embedding pass of a few tokens reads every weight once and does 2·M FLOPs with it, far below
// the GPU's FLOP/byte balance (chapter 3's roofline), so its time is the weights' bytes over the memory bandwidth.
// bf16 weights are 2 bytes each; these formats are 1.125 (W8A16) and 0.5625 (Q4_K) bytes. Predicted speed-up over a
// bandwidth-bound bf16 GEMM, from bytes alone: 2 / 1.125 = 1.78x and 2 / 0.5625 = 3.56x, at small M only: as M
// grows the pass becomes compute bound, where these CUDA-core kernels lose to tensor cores.
//
// Kernel shape (both): a block of 4 warps owns 4 · kCols consecutive output features n and 8 tokens m (grid.y =
// ceil(M / 8)); the 32 lanes of a warp walk K in 16-byte steps of the weight rows, so each warp load instruction
// reads 512 (W8A16) or 576 (Q4_K) contiguous bytes; each lane keeps 8 · kCols partial sums, and the warp's lanes
// are summed through shared memory at the end (store_lane_sums).
//
// Where CUDA cores stop being enough (the prediction to check on a GPU): at M tokens each weight costs M FMAs.
// An H100 SXM does about 33.5 T FMA/s on CUDA cores and reads 3.35 TB/s, i.e. 3.0 T weights/s of W8A16 and
// 6.0 T/s of Q4_K: the kernels stay bandwidth bound up to M ≈ 11 (W8A16) and M ≈ 5 (Q4_K), then become compute
// bound and lose to cuBLAS's tensor cores, which stay bandwidth bound on bf16 up to M ≈ 200. The next step past
// this one is a tensor-core W8A16 (mma.sync on bf16 fragments dequantised in registers, as Marlin does for int4).
#pragma once
#include <cstdint>
#include <cstring>

#include "exercises/common/gpu_sim/cuda_compat.h"

namespace qwen3::quant_gemm {

// The float whose bits are u (a reinterpretation, no conversion).
__host__ __device__ __forceinline__ float float_from_bits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// A bf16 (the top 16 bits of an f32) widened to float: exact.
__host__ __device__ __forceinline__ float bf16_bits_to_float(uint16_t bits) {
  return float_from_bits(static_cast<uint32_t>(bits) << 16);
}

// An IEEE half (GGUF's f16 scales) widened to float: exact, subnormals included.
//   half: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits
__host__ __device__ __forceinline__ float f16_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  if (exponent == 0) {  // zero or subnormal: mantissa · 2^-24, exact in float
    const float v = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  return float_from_bits(exponent == 31 ? sign | 0x7F800000u | (mantissa << 13)              // inf / NaN
                                        : sign | ((exponent + 112u) << 23) | (mantissa << 13));  // rebias 15 -> 127
}

// Small integers to float without a conversion instruction (I2F runs at a quarter of the FMA rate on recent GPUs,
// and a bandwidth-bound W8A16 kernel needs one per weight): put u (0 <= u < 2^23) in the mantissa of 2^23, whose
// float is then exactly 2^23 + u, and subtract 2^23. One integer OR and one float add, both at full rate.
//   int8 q:   u = q + 128 = q XOR 0x80 (as a byte), so q = float(2^23 + u) − (2^23 + 128)
__host__ __device__ __forceinline__ float int8_to_float(int8_t q) {
  return float_from_bits(0x4B000000u | (static_cast<uint8_t>(q) ^ 0x80u)) - 8388736.0f;
}
//   4-bit code u (0..15): u = float(2^23 + u) − 2^23
__host__ __device__ __forceinline__ float nibble_to_float(uint32_t u) {
  return float_from_bits(0x4B000000u | u) - 8388608.0f;
}

// Both kernels' block: 4 warps; each warp owns kCols output features; the block owns kRows tokens.
constexpr int kWarps = 4, kLanes = 32, kRows = 8;

// The block's epilogue: every lane's partial sums acc[r][c] (its share of Y[m0 + r][n0 + warp's c-th feature])
// go to shared memory, and the block's threads each add up the 32 lanes of one (warp, row, feature) and store it.
// No warp shuffles: the simulator models none (a GPU-only version would reduce with __shfl_xor_sync).
//   partial: shared [kWarps][kRows · kCols][kLanes + 1] floats (+1 column: the sums' reads are conflict-free)
template <int kCols, class Partial>
__device__ __forceinline__ void store_lane_sums(Partial& partial, const float (&acc)[kRows][kCols],
                                                sim::global_ptr<float> Y, int M, int N, int m0, int n0) {
  const int lane = static_cast<int>(threadIdx.x) % kLanes, warp = static_cast<int>(threadIdx.x) / kLanes;
#pragma unroll
  for (int r = 0; r < kRows; ++r)
#pragma unroll
    for (int c = 0; c < kCols; ++c) partial[warp][r * kCols + c][lane] = acc[r][c];
  __syncthreads();
  for (int o = static_cast<int>(threadIdx.x); o < kWarps * kRows * kCols; o += kWarps * kLanes) {
    const int w = o / (kRows * kCols), rc = o % (kRows * kCols);
    float sum = 0.0f;
    for (int l = 0; l < kLanes; ++l) sum += partial[w][rc][l];
    const int m = m0 + rc / kCols, n = n0 + w * kCols + rc % kCols;
    if (m < M && n < N) Y[static_cast<int64_t>(m) * N + n] = sum;
  }
}

// ---- W8A16: Q8_0's codes and scales, split for the GPU --------------------------------------------------------
// GGUF's Q8_0 interleaves a 2-byte scale with every 32 codes (34-byte blocks), so a row's codes are not 16-byte
// aligned and one vector load would straddle a scale. Split (quant_gemm/repack.h, split_q8_0) into
//   Wq: [N, K] int8       the codes, row n = output feature n
//   S:  [N, K/32] float   one scale per 32 weights (Q8_0's f16 d, widened: exact)
//   W[n][k] = S[n][k/32] · Wq[n][k]
// K a multiple of 32; M, N >= 0 (nothing is launched when either is 0). InputError otherwise. Asynchronous on
// `stream` (under nvcc; the simulator runs it at once).
void gemm_w8a16(sim::global_ptr<const uint16_t> X, sim::global_ptr<const int8_t> Wq, sim::global_ptr<const float> S,
                sim::global_ptr<float> Y, int M, int N, int K, sim::Stream stream = {});

// ---- W4A16: Q4_K's super-blocks as GGUF stores them -----------------------------------------------------------
// Wb: [N, K/256 · 144] bytes: each row is K/256 Q4_K super-blocks of 144 bytes (core/quant.cpp draws the layout:
// f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit codes). No repacking: 144 is a multiple
// of 16, so every super-block and its 16-byte header and code chunks are 16-byte aligned, and the GGUF tensor's
// bytes are the kernel's operand as they are.
//   W[n][256b + 32j + i] = d · sc_j · q − dmin · m_j        (super-block b of row n, sub-block j, value i)
// K a multiple of 256; M, N >= 0. InputError otherwise.
void gemm_w4a16_q4k(sim::global_ptr<const uint16_t> X, sim::global_ptr<const uint8_t> Wb, sim::global_ptr<float> Y,
                    int M, int N, int K, sim::Stream stream = {});

}  // namespace qwen3::quant_gemm
