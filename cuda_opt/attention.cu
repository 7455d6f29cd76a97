// Flash attention: causal grouped-query attention in one kernel, the scores never written to memory.
//
//   out[t, h, :] = Σ_{s ≤ t} softmax_s(q[t,h]·k[s,g] / sqrt(D)) · v[s, g, :],   g = h / (NH/NKV)
//
// Why: cuda_naive computes it in three passes through a scores buffer S [NH, len, len] in fp32: 4·NH·len² bytes,
// 8 GiB at 8192 tokens and 128 GiB at 32768 tokens with NH = 32, more than any GPU holds, and every byte of it is
// written once and read twice. Yet each output row needs its scores only long enough to weigh the values.
//
// The idea (FlashAttention, Dao et al. 2022; the loop order of FlashAttention-2, 2023): walk over the keys in
// tiles of 64 and keep, per query row, the running maximum m, the running sum l of exponentials and the
// unnormalised output O. When a tile raises the maximum from m to m', everything summed so far was scaled by
// e^(-m) and must now be scaled by e^(-m'): multiply l and O by e^(m - m') and go on ("online softmax").
//   for each key tile j:   S = Q K_jᵀ                         (16×64 per warp, in registers)
//                          m' = max(m, rowmax S);  P = e^(S - m');  l = l·e^(m - m') + rowsum P
//                          O = O·e^(m - m') + P V_j
//   out = O / l
// S lives in registers for one tile, so memory is O(len·D), never O(len²): 32k-token sequences just work.
//
// How it maps onto the hardware:
// - One block = 64 query rows of one head of one sequence, 4 warps of 16 rows. Grid (ceil(max_len/64), NH, B);
//   blocks that start past their sequence's end return at once. blockIdx.x is walked backwards so that the
//   blocks with the most key tiles (the end of the longest sequence) start first.
// - Tensor cores through mma.sync.m16n8k16 (bf16 in, fp32 accumulate), fragments loaded with ldmatrix, as in
//   gemm/09_mma_sync_ldmatrix.cu. Q's fragments are loaded once into registers (D/16 × 4 words per thread).
//   S = Q Kᵀ: K tile [64 keys, D] row-major is exactly the "col" B operand (rows of n, contiguous k).
//   O += P V: V tile [64 keys, D] row-major is B with contiguous n, so it is loaded with ldmatrix.trans.
// - P never leaves the registers: the m16n8 accumulator of S holds rows g, g+8 and columns 2t, 2t+1 (g = lane/4,
//   t = lane%4), which is exactly where the m16n8k16 A fragment wants P's rows g, g+8 and columns 2t, 2t+1 (and
//   +8: the next n8 tile). Two adjacent S tiles, rounded to bf16 pairs, are one A fragment.
// - Softmax in fp32 with exp2: e^(x·scale - m·scale) = 2^(x·c - m·c), c = log2(e)/sqrt(D), one FFMA + one EX2
//   per score. A row's 64 scores are spread over the 4 threads of a quad: row max by two shuffles; the row sum
//   is kept per thread and reduced once at the end (the rescale factor is the same for the whole quad).
// - Causal mask: key tile j < query tile needs none, tile j = query tile (the diagonal) gets -inf above the
//   diagonal, tiles past it are never visited (half the work of the full square skipped).
// - K and V tiles are staged in shared memory by cp.async, double buffered: tile j+1 is in flight while tile j
//   is computed. Q is staged once in the second V buffer (free until tile 1 arrives), so shared memory is
//   4 tiles of 64×D bf16: 16 KB (D=32), 32 KB (D=64), 64 KB (D=128).
// - Shared rows are D·2 = 64, 128 or 256 bytes, XOR-swizzled in 16-byte chunks (chunk c of row r at
//   c ^ (r & 7), or c ^ ((r>>1) & 3) for 64-byte rows) so the 8 rows an ldmatrix phase reads hit 8 different
//   16-byte bank groups: no conflicts, no padding.
// - Rows past a sequence's end are zero-filled (cp.async with src-size 0) and never read from the next sequence;
//   keys past the end only occur in the diagonal tile, where the causal mask already removes them (and the
//   zeros of V keep 0·V finite); output rows past the end are not written.
//
// Work: causal attention is about 2·2·len²·D·NH/2 = 2·len²·D·NH FLOPs (Q Kᵀ and P V, half the square), e.g.
// 8.8 TFLOP for one 32768-token sequence of the 8B model (NH = 32, D = 128). mma.sync on an H100 reaches roughly
// 60-70% of the wgmma peak (~990 dense bf16 TFLOP/s), and FlashAttention-2 (mma.sync) reports ~350 TFLOP/s
// there; this simpler kernel (no warp specialisation, 64-row blocks) should reach a few hundred TFLOP/s at long
// lengths, and much less at short ones where the 64-row tiles are mostly padding and launch cost dominates.
// measured (H100 80GB HBM3, the session that wrote it; a throwaway timing program, not in the repo: one fused
// QKV buffer, 3 warm-up launches, the mean of 10 timed with cudaEvents, FLOPs counted as 2·2·D·NH·len(len+1)/2):
//   1 × 32768 tokens, NH=32 NKV=8 D=128: 29.6 ms, 297 TFLOP/s     1 × 8192, same heads: 2.0 ms, 274 TFLOP/s
//   8 × 1024, same heads: 0.31 ms, 223 TFLOP/s                    16 × 512, NH=16 NKV=8 D=128: 170 TFLOP/s
//   1 × 8192, NH=16 NKV=8: D=64 218 TFLOP/s, D=32 158 TFLOP/s
// tests/test_cuda_opt_attention.cpp passed there (error ~1.7e-3 against ref_cpu), and was clean under
// compute-sanitizer memcheck, racecheck and synccheck.
// In the forward pass (scripts/gpu_bench.sh, `qwen3emb trace --backend cuda_opt --config 8b --random-weights
// --seq 800|2600 --summary`, H100, docs/results/h100.md): 40.4 us per layer at 800 tokens (130 TFLOP/s) and
// 274 us at 2600 tokens (202 TFLOP/s), 5.0% and 11.5% of the pass's GPU time.
#include "cuda_opt/attention.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::cuda_opt {

namespace {

using gemm::detail::cp_async_16;
using gemm::detail::cp_async_commit;
using gemm::detail::cp_async_wait;
using gemm::detail::ldmatrix_x4;
using gemm::detail::mma_m16n8k16;

constexpr int kBlockQ = 64;                 // query rows per block
constexpr int kBlockK = 64;                 // key / value rows per tile
constexpr int kWarps = kBlockQ / 16;        // one m16 row slab per warp: 4
constexpr int kThreads = kWarps * 32;       // 128
constexpr int kNT = kBlockK / 8;            // n8 tiles of S per warp: 8
static_assert(kBlockQ == kBlockK, "the diagonal tile's mask assumes query and key tiles start together");
static_assert(kBlockK % 16 == 0, "P V walks the key tile in k16 steps");

template <int D>
struct Shape {
  static_assert(D == 32 || D == 64 || D == 128, "head_dim 32, 64 or 128");
  static constexpr int kChunks = D / 8;                 // 16-byte chunks per shared row
  static constexpr int kTileBytes = kBlockK * D * 2;    // one 64×D bf16 tile
  static constexpr int kSmemBytes = 4 * kTileBytes;     // K[2], V[2] (Q staged in V[1] at the start)
  static constexpr int kDT = D / 8;                     // n8 tiles of O per warp
  static constexpr int kKS = D / 16;                    // k16 steps of Q Kᵀ
  static_assert((kBlockK * kChunks) % kThreads == 0, "whole chunks per thread");
};

// Byte offset of 16-byte chunk c of row r in a swizzled tile of D-wide rows.
template <int D>
__device__ __forceinline__ uint32_t swizzle(int r, int c) {
  if constexpr (Shape<D>::kChunks >= 8) {  // 128- or 256-byte rows: 8 consecutive rows -> 8 different slots
    return static_cast<uint32_t>(r * (D * 2) + ((c ^ (r & 7)) << 4));
  } else {  // 64-byte rows (D = 32): two rows per 128-byte window, so rows pair up as in gemm step 9
    return static_cast<uint32_t>(r * (D * 2) + ((c ^ ((r >> 1) & 3)) << 4));
  }
}

// tile[r, :] = X[row0 + r, :] for r < valid rows, zeros for the others (read nothing there).
// X: the head's first element (row stride `stride` elements); dst: the tile in shared memory.
template <int D>
__device__ __forceinline__ void load_tile(unsigned char* dst, const bf16* X, int64_t stride, int64_t row0,
                                          int valid) {
#pragma unroll
  for (int p = 0; p < kBlockK * Shape<D>::kChunks / kThreads; ++p) {
    const int idx = threadIdx.x + p * kThreads, r = idx / Shape<D>::kChunks, c = idx % Shape<D>::kChunks;
    const bool in = r < valid;
    const bf16* src = in ? X + (row0 + r) * stride + c * 8 : X;  // src-size 0 still needs a valid address
    cp_async_16(dst + swizzle<D>(r, c), src, in ? 16 : 0);
  }
}

// As ldmatrix_x4, each 8×8 matrix transposed: lane l receives M[2(l%4)][l/4], M[2(l%4)+1][l/4] of matrix M.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// Two floats as one bf16x2 register: lo in the low half (the lower column index, as the fragments want).
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// out[t, h, :] for the 64 query rows q0 .. q0+63 of head h = blockIdx.y of sequence b = blockIdx.z.
// q: [T, q_stride] (head h at h*D), k, v: [T, k_stride / v_stride] (head g at g*D), offsets: [B+1],
// out: [T, NH, D]; group = NH / NKV; scale_log2 = log2(e) / sqrt(D)
template <int D>
__global__ void __launch_bounds__(kThreads) flash_attention_kernel(const bf16* q, int64_t q_stride, const bf16* k,
                                                                   int64_t k_stride, const bf16* v,
                                                                   int64_t v_stride, const int32_t* offsets,
                                                                   int NH, int group, float scale_log2,
                                                                   bf16* out) {
  using S_ = Shape<D>;
  extern __shared__ __align__(128) unsigned char smem[];  // K tiles 0, 1 then V tiles 0, 1
  const int qb = gridDim.x - 1 - blockIdx.x;  // longest blocks first
  const int h = blockIdx.y, b = blockIdx.z;
  const int start = offsets[b], len = offsets[b + 1] - start;
  const int q0 = qb * kBlockQ;
  if (q0 >= len) return;  // the whole block: past its sequence's end
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = h / group;

  // seek to q[start, h, :], k[start, g, :], v[start, g, :]
  const bf16* q_head = q + static_cast<int64_t>(h) * D;
  const bf16* k_head = k + static_cast<int64_t>(g) * D;
  const bf16* v_head = v + static_cast<int64_t>(g) * D;
  // K tile i at smem + i·kTileBytes, V tile i at smem + (2 + i)·kTileBytes (computed, not indexed arrays: an
  // array indexed by the loop's parity would live in local memory)
  const auto k_tile = [&](int i) { return smem + i * S_::kTileBytes; };
  const auto v_tile = [&](int i) { return smem + (2 + i) * S_::kTileBytes; };
  const uint32_t smem_addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  const auto k_addr = [&](int i) { return smem_addr + static_cast<uint32_t>(i * S_::kTileBytes); };
  const auto v_addr = [&](int i) { return smem_addr + static_cast<uint32_t>((2 + i) * S_::kTileBytes); };

  // prologue: Q (into V tile 1, free until key tile 1 is loaded), key tile 0, value tile 0
  load_tile<D>(v_tile(1), q_head, q_stride, start + q0, len - q0);
  load_tile<D>(k_tile(0), k_head, k_stride, start, len);
  load_tile<D>(v_tile(0), v_head, v_stride, start, len);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();
  // Q's A fragments, once: lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 rows 0-15 at k 8-15 -> a0..a3
  uint32_t qf[S_::kKS][4];
#pragma unroll
  for (int ks = 0; ks < S_::kKS; ++ks) {
    ldmatrix_x4(qf[ks], v_addr(1) + swizzle<D>(warp * 16 + lane % 16, ks * 2 + lane / 16));
  }
  __syncthreads();  // every warp has its Q fragments before V tile 1 is overwritten

  // This thread's rows of the warp's 16: r = 0 -> row lane/4, r = 1 -> row lane/4 + 8 (accumulator halves)
  float o[S_::kDT][4] = {};                     // unnormalised output, O tile nt: columns nt*8 + 2(lane%4) + {0,1}
  float m[2] = {-INFINITY, -INFINITY};          // running max of the raw scores q·k (unscaled)
  float l[2] = {0.0f, 0.0f};                    // running Σ 2^(s·c - m·c) over this thread's columns only

  const int n_tiles = qb + 1;  // key tiles 0 .. qb; tile qb is the diagonal one
  for (int j = 0; j < n_tiles; ++j) {
    const int cur = j & 1;
    if (j + 1 < n_tiles) {  // tile j+1 into the buffers tile j-1 used (freed by the barrier ending that step)
      const int next0 = (j + 1) * kBlockK;
      load_tile<D>(k_tile(cur ^ 1), k_head, k_stride, start + next0, len - next0);
      load_tile<D>(v_tile(cur ^ 1), v_head, v_stride, start + next0, len - next0);
    }
    cp_async_commit();   // possibly empty: keeps the group count uniform
    cp_async_wait<1>();  // everything but tile j+1 has landed (this thread's copies)
    __syncthreads();     // everyone's copies of tile j have

    // ---- S = Q K_jᵀ: 16 rows × 64 keys per warp, 8 n8 tiles -----------------------------------------------
    float s[kNT][4] = {};
#pragma unroll
    for (int ks = 0; ks < S_::kKS; ++ks) {
#pragma unroll
      for (int np = 0; np < kNT / 2; ++np) {
        // lanes 0-7: keys np*16 + 0-7 at d 0-7 of this k16 step (b0 of n tile 2np); 8-15: same keys, d 8-15
        // (b1); 16-23, 24-31: keys np*16 + 8-15 (b0, b1 of n tile 2np+1)
        uint32_t kb[4];
        ldmatrix_x4(kb, k_addr(cur) + swizzle<D>(np * 16 + (lane / 16) * 8 + lane % 8, ks * 2 + (lane / 8) % 2));
        mma_m16n8k16(s[2 * np], qf[ks], kb[0], kb[1]);
        mma_m16n8k16(s[2 * np + 1], qf[ks], kb[2], kb[3]);
      }
    }

    // ---- causal mask, diagonal tile only: key column > query row -> -inf (also hides keys past the end) ----
    if (j == qb) {
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
        for (int i = 0; i < 4; ++i) {
          const int row = warp * 16 + lane / 4 + (i / 2) * 8, col = nt * 8 + (lane % 4) * 2 + i % 2;
          if (col > row) s[nt][i] = -INFINITY;
        }
      }
    }

    // ---- online softmax: m' = max(m, rowmax S), P = 2^(S·c - m'·c), l = l·2^((m - m')·c) + rowsum P -------
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = -INFINITY;
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt) mx = fmaxf(mx, fmaxf(s[nt][2 * r], s[nt][2 * r + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));  // the row's 4 threads: lanes 4g .. 4g+3
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
      const float m_new = fmaxf(m[r], mx);
      const float m_scaled = m_new == -INFINITY ? 0.0f : m_new * scale_log2;  // never -inf - -inf = NaN
      const float alpha = exp2f(m[r] * scale_log2 - m_scaled);                // 0 on the first tile
      m[r] = m_new;
      float sum = 0.0f;
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          const float p = exp2f(fmaf(s[nt][2 * r + e], scale_log2, -m_scaled));  // masked: 2^-inf = 0
          s[nt][2 * r + e] = p;
          sum += p;
        }
      }
      l[r] = l[r] * alpha + sum;
#pragma unroll
      for (int dt = 0; dt < S_::kDT; ++dt) {
        o[dt][2 * r] *= alpha;
        o[dt][2 * r + 1] *= alpha;
      }
    }

    // ---- O += P V_j: P's A fragment for keys kk*16 .. +15 = S tiles 2kk (a0, a1) and 2kk+1 (a2, a3) --------
#pragma unroll
    for (int kk = 0; kk < kBlockK / 16; ++kk) {
      const uint32_t a[4] = {pack_bf16(s[2 * kk][0], s[2 * kk][1]), pack_bf16(s[2 * kk][2], s[2 * kk][3]),
                             pack_bf16(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                             pack_bf16(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
      for (int np = 0; np < S_::kDT / 2; ++np) {
        // transposed 8×8 loads of V [keys, d]: lanes 0-7: keys kk*16 + 0-7 at d np*16 + 0-7 (b0 of O tile 2np);
        // 8-15: keys + 8-15 (b1); 16-23, 24-31: the same at d np*16 + 8-15 (b0, b1 of O tile 2np+1)
        uint32_t vb[4];
        ldmatrix_x4_trans(vb, v_addr(cur) + swizzle<D>(kk * 16 + ((lane / 8) % 2) * 8 + lane % 8, np * 2 + lane / 16));
        mma_m16n8k16(o[2 * np], a, vb[0], vb[1]);
        mma_m16n8k16(o[2 * np + 1], a, vb[2], vb[3]);
      }
    }
    __syncthreads();  // everyone is done with tile j's buffers before step j+1 refills them with tile j+2
  }
  cp_async_wait<0>();  // only empty groups can remain; leave nothing in flight

  // ---- out = O / l: the row sum is spread over the quad's 4 threads --------------------------------------
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    float sum = l[r];
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    sum += __shfl_xor_sync(0xffffffffu, sum, 2);
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    const int row = q0 + warp * 16 + lane / 4 + r * 8;
    if (row >= len) continue;
    // seek to out[start + row, h, :]
    bf16* out_row = out + (static_cast<int64_t>(start + row) * NH + h) * D;
#pragma unroll
    for (int dt = 0; dt < S_::kDT; ++dt) {
      *reinterpret_cast<__nv_bfloat162*>(out_row + dt * 8 + (lane % 4) * 2) =
          __floats2bfloat162_rn(o[dt][2 * r] * inv, o[dt][2 * r + 1] * inv);
    }
  }
}

template <int D>
void launch(const bf16* q, int64_t q_stride, const bf16* k, int64_t k_stride, const bf16* v, int64_t v_stride,
            const int32_t* offsets, int NH, int group, bf16* out, dim3 grid, cudaStream_t s) {
  constexpr int kSmem = Shape<D>::kSmemBytes;
  if constexpr (kSmem > 48 * 1024) {
    QWEN3_CUDA_CHECK(cudaFuncSetAttribute(flash_attention_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                          kSmem),
                     "flash_attention: allowing " + std::to_string(kSmem / 1024) + " KB of shared memory");
  }
  const float scale_log2 = static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(D)));
  flash_attention_kernel<D><<<grid, kThreads, kSmem, s>>>(q, q_stride, k, k_stride, v, v_stride, offsets, NH,
                                                           group, scale_log2, out);
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

void fail(const std::string& what) { throw InputError("flash_attention: " + what); }

}  // namespace

void flash_attention(const bf16* q, int64_t q_stride, const bf16* k, int64_t k_stride, const bf16* v,
                     int64_t v_stride, const int32_t* offsets, int B, int max_len, int NH, int NKV, int D,
                     bf16* out, cudaStream_t s) {
  // every check before any CUDA call, so that bad arguments are reported the same with or without a GPU
  if (D != 32 && D != 64 && D != 128) fail("head_dim D=" + std::to_string(D) + " is not supported (32, 64 or 128)");
  if (NH <= 0 || NKV <= 0 || NH % NKV != 0) {
    fail("NH=" + std::to_string(NH) + " query heads must be a positive multiple of NKV=" + std::to_string(NKV));
  }
  if (NH > 65535) fail("NH=" + std::to_string(NH) + " exceeds the grid's 65535 blocks along y");
  if (B < 0 || max_len < 0) fail("negative B=" + std::to_string(B) + " or max_len=" + std::to_string(max_len));
  if (B > 65535) fail("B=" + std::to_string(B) + " sequences exceed the grid's 65535 blocks along z");
  const auto check_stride = [](const char* name, int64_t stride, int64_t heads, int D_) {
    if (stride % 8 != 0) fail(std::string(name) + "=" + std::to_string(stride) + " is not a multiple of 8");
    if (stride < heads * D_) {
      fail(std::string(name) + "=" + std::to_string(stride) + " is less than the " + std::to_string(heads) +
           " heads × " + std::to_string(D_) + " it must hold");
    }
  };
  check_stride("q_stride", q_stride, NH, D);
  check_stride("k_stride", k_stride, NKV, D);
  check_stride("v_stride", v_stride, NKV, D);
  if (!aligned16(q) || !aligned16(k) || !aligned16(v) || !aligned16(out)) {
    fail("q, k, v and out must be 16-byte aligned");
  }
  if (B == 0 || max_len == 0) return;
  if (q == nullptr || k == nullptr || v == nullptr || offsets == nullptr || out == nullptr) fail("null pointer");

  const auto q_blocks = static_cast<unsigned>((static_cast<int64_t>(max_len) + kBlockQ - 1) / kBlockQ);
  const dim3 grid(q_blocks, static_cast<unsigned>(NH), static_cast<unsigned>(B));
  const int group = NH / NKV;
  switch (D) {
    case 32: launch<32>(q, q_stride, k, k_stride, v, v_stride, offsets, NH, group, out, grid, s); break;
    case 64: launch<64>(q, q_stride, k, k_stride, v, v_stride, offsets, NH, group, out, grid, s); break;
    default: launch<128>(q, q_stride, k, k_stride, v, v_stride, offsets, NH, group, out, grid, s); break;
  }
  QWEN3_CUDA_CHECK_LAUNCH("flash_attention");
}

}  // namespace qwen3::cuda_opt
