// Exercise 18_flash_attention_tc: the function you write, and the emulated tensor core it calls. A warp of
// cuda_opt/attention.cu's flash_attention_kernel computes 16 query rows of one (sequence, head) with
// mma.sync.m16n8k16; here that warp's tile loop runs on the CPU, on exercises/common/warp_mma_emulator.h.
#pragma once
#include <cstdint>

#include "core/safetensors.h"  // f32_to_bf16, bf16_to_f32
#include "exercises/common/warp_mma_emulator.h"

namespace learner {

constexpr int kTileRows = 16;  // query rows per tile: mma's M
constexpr int kTileKeys = 16;  // keys per tile: two n8 tiles of S, one k16 step of P·V

using TileA = qwen3::exercises::warp_mma::TileA;  // [16 m][16 k] bf16: Q's tile (one k-step of D), or P
using TileB = qwen3::exercises::warp_mma::TileB;  // [16 k][8 n]  bf16: Kᵀ (k = head dim, n = key) or V (k = key)
using TileC = qwen3::exercises::warp_mma::TileC;  // [16 m][8 n]  fp32: an accumulator, S or a slice of O

// float -> bf16, rounded to nearest even (what the GPU's __float2bfloat16 does); and back (exact)
inline uint16_t to_bf16(float x) { return qwen3::f32_to_bf16(x); }
inline float from_bf16(uint16_t b) { return qwen3::bf16_to_f32(b); }

// The warp's tensor core, emulated: one mma.sync.m16n8k16.row.col.f32.bf16.bf16.f32 per call, counted.
class TensorCore {
 public:
  // D += A·B     D[m][n] += Σ_k A[m][k] · B[k][n]   (bf16 products, fp32 accumulation)
  // d: [16, 8] fp32, a: [16, 16] bf16, b: [16, 8] bf16
  void mma(TileC& d, const TileA& a, const TileB& b) {
    ++mma_count_;
    qwen3::exercises::warp_mma::mma_m16n8k16(d, a, b);
  }
  int64_t mma_count() const { return mma_count_; }

 private:
  int64_t mma_count_ = 0;
};

// Causal attention for one (sequence, query head h), KV head g = h / (NH/NKV) chosen by the caller:
//   out[i, :] = Σ_{j ≤ i} softmax_j(q[i]·k[j] / sqrt(D)) · v[j, :],   i, j < len
// computed in 16×16 tiles on the tensor core: query tile by query tile, key tiles 0 .. the diagonal one, S = Q·Kᵀ
// and O += P·V by tc.mma (bf16 operands, fp32 accumulation), the online softmax in fp32, out = O / l at the end.
// q: [len, D] with rows q_stride floats apart; k, v: [len, D] with rows kv_stride apart; out: [len, D] with rows
// q_stride apart (only rows < len are written). D: 64 or 128 (a multiple of 16). len ≥ 1.
void flash_attention_tc(const float* q, const float* k, const float* v, int64_t len, int64_t D, int64_t q_stride,
                        int64_t kv_stride, TensorCore& tc, float* out);

}  // namespace learner
