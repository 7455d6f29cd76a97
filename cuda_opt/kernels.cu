// cuda_opt's small kernels (declared, with their equations, in kernels.cuh). bf16 in memory, fp32 in registers.
// Compared with cuda_naive/kernels.cu: a block (or warp) per row instead of a thread per element, so that a row's
// statistic and its use happen in one kernel, and 16-bit storage halves the bytes every op moves.
#include "cuda_opt/kernels.cuh"

#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"

namespace qwen3::cuda_opt {

namespace {

constexpr int kRowThreads = 256;  // threads of a block that owns one row
constexpr int kMaxRow = 8192;     // longest row a one-block-per-row kernel keeps in shared memory (32 KB)

// Sum of v over the block (kRowThreads threads); every thread gets the result. `scratch` holds one float per warp.
__device__ float block_sum(float v, float* scratch) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < kRowThreads / 32; ++w) total += scratch[w];
  return total;
}

__device__ __forceinline__ void store(float* p, float v) { *p = v; }
__device__ __forceinline__ void store(bf16* p, float v) { *p = __float2bfloat16_rn(v); }

// dst[r · row_step + row_offset, k] = bf16(src[r, k]); one thread per element
__global__ void to_bf16_rows_kernel(const float* src, int64_t R, int64_t K, int64_t row_step, int64_t row_offset,
                                    bf16* dst) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= R * K) return;
  const int64_t r = i / K, k = i % K;
  dst[(r * row_step + row_offset) * K + k] = __float2bfloat16_rn(src[i]);
}

// x[t, :] = float(E[ids[t], :]); block t copies one row
__global__ void embedding_gather_kernel(const int32_t* ids, const bf16* E, int64_t H, float* x) {
  const int64_t t = blockIdx.x;
  const bf16* e = E + static_cast<int64_t>(ids[t]) * H;  // seek to E[ids[t], :]
  for (int64_t i = threadIdx.x; i < H; i += blockDim.x) x[t * H + i] = __bfloat162float(e[i]);
}

// y[r, :] = x[r, :] / sqrt(mean(x[r, :]²) + eps) · w; block r owns row r
template <class Out>
__global__ void __launch_bounds__(kRowThreads) rms_norm_kernel(const float* x, const float* w, int64_t n, float eps,
                                                                Out* y) {
  __shared__ float row[kMaxRow];
  __shared__ float scratch[kRowThreads / 32];
  const float* xr = x + blockIdx.x * n;  // seek to x[r, :]
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < n; i += kRowThreads) {  // pass 1: read once, keep, square and sum
    const float v = xr[i];
    row[i] = v;
    ss += v * v;
  }
  const float inv_rms = 1.0f / sqrtf(block_sum(ss, scratch) / static_cast<float>(n) + eps);
  Out* yr = y + blockIdx.x * n;
  for (int64_t i = threadIdx.x; i < n; i += kRowThreads) store(yr + i, w[i] * (row[i] * inv_rms));  // pass 2: apply
}

// q_norm / k_norm then RoPE on one (token, head) of the fused QKV output; warp (t, head) owns it. Lane j holds the
// rotation pairs (i, i + D/2) for i = j, j + 32, ...: both halves of a pair in the same thread, so RoPE needs no
// exchange, only the norm's sum of squares does (a warp shuffle).
constexpr int kMaxPairsPerLane = 2;  // D <= 128: at most 64 pairs over 32 lanes
__global__ void qk_norm_rope_kernel(bf16* qkv, const int32_t* positions, const float* q_w, const float* k_w,
                                    const float* inv_freq, int64_t T, int64_t NH, int64_t NKV, int64_t D, float eps) {
  const int64_t warp = (blockIdx.x * int64_t{blockDim.x} + threadIdx.x) / 32;
  const int lane = threadIdx.x % 32;
  if (warp >= T * (NH + NKV)) return;  // whole warps leave together
  const int64_t t = warp / (NH + NKV), head = warp % (NH + NKV);
  const int64_t half = D / 2;
  bf16* x = qkv + t * (NH + 2 * NKV) * D + head * D;  // seek to qkv[t, head, :] (k heads follow the NH q heads)
  const float* w = head < NH ? q_w : k_w;
  float x1[kMaxPairsPerLane], x2[kMaxPairsPerLane];
  float ss = 0.0f;
#pragma unroll
  for (int j = 0; j < kMaxPairsPerLane; ++j) {
    const int64_t i = lane + 32 * j;
    x1[j] = i < half ? __bfloat162float(x[i]) : 0.0f;
    x2[j] = i < half ? __bfloat162float(x[i + half]) : 0.0f;
    ss += x1[j] * x1[j] + x2[j] * x2[j];
  }
  for (int o = 16; o > 0; o /= 2) ss += __shfl_xor_sync(0xffffffffu, ss, o);
  const float inv_rms = 1.0f / sqrtf(ss / static_cast<float>(D) + eps);
  const float pos = static_cast<float>(positions[t]);
#pragma unroll
  for (int j = 0; j < kMaxPairsPerLane; ++j) {
    const int64_t i = lane + 32 * j;
    if (i >= half) continue;
    const float a = w[i] * (x1[j] * inv_rms), b = w[i + half] * (x2[j] * inv_rms);  // the head's RMSNorm
    const float angle = __fmul_rn(pos, inv_freq[i]);  // θ = pos · inv_freq, fp32 as cuda_naive and ref_cpu
    const float c = cosf(angle), s = sinf(angle);
    x[i] = __float2bfloat16_rn(a * c - b * s);         // x·cos + rotate_half(x)·sin, first half
    x[i + half] = __float2bfloat16_rn(b * c + a * s);  // second half
  }
}

// y[t, i] = silu(gu[t, 2i]) · gu[t, 2i+1]; one thread per output
__global__ void silu_mul_kernel(const bf16* gu, int64_t n, bf16* y) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= n) return;
  const float g = __bfloat162float(gu[2 * i]), u = __bfloat162float(gu[2 * i + 1]);
  y[i] = __float2bfloat16_rn(g / (1.0f + expf(-g)) * u);
}

// emb[b, :] = l2_normalize(rms_norm(x[last_b, :]) · w); block b owns sequence b
__global__ void __launch_bounds__(kRowThreads) final_norm_pool_kernel(const float* x, const int32_t* offsets,
                                                                       int64_t H, const float* w, float eps,
                                                                       float* emb) {
  __shared__ float row[kMaxRow];
  __shared__ float scratch[kRowThreads / 32];
  const float* xr = x + static_cast<int64_t>(offsets[blockIdx.x + 1] - 1) * H;  // seek to the last token's row
  float ss = 0.0f;
  for (int64_t i = threadIdx.x; i < H; i += kRowThreads) {
    const float v = xr[i];
    row[i] = v;
    ss += v * v;
  }
  const float inv_rms = 1.0f / sqrtf(block_sum(ss, scratch) / static_cast<float>(H) + eps);
  float ss2 = 0.0f;
  for (int64_t i = threadIdx.x; i < H; i += kRowThreads) {
    const float y = w[i] * (row[i] * inv_rms);
    row[i] = y;
    ss2 += y * y;
  }
  const float norm2 = block_sum(ss2, scratch);
  const float inv_norm = norm2 > 0.0f ? 1.0f / sqrtf(norm2) : 0.0f;  // a zero vector stays zero
  float* e = emb + blockIdx.x * H;
  for (int64_t i = threadIdx.x; i < H; i += kRowThreads) e[i] = row[i] * inv_norm;
}

unsigned blocks_for(int64_t threads_needed, int threads_per_block, const char* op) {
  const int64_t blocks = (threads_needed + threads_per_block - 1) / threads_per_block;
  if (blocks > 0x7fffffff) throw InputError(std::string(op) + ": too many elements for one launch");
  return static_cast<unsigned>(blocks);
}

void check_row(int64_t n, const char* op) {
  if (n > kMaxRow) {
    throw InputError(std::string(op) + ": rows of " + std::to_string(n) + " values; this kernel keeps a row in " +
                     "shared memory and takes at most " + std::to_string(kMaxRow));
  }
}

}  // namespace

void launch_to_bf16_rows(const float* src, int64_t R, int64_t K, int64_t row_step, int64_t row_offset, bf16* dst,
                         cudaStream_t s) {
  if (R * K == 0) return;
  to_bf16_rows_kernel<<<blocks_for(R * K, 256, "to_bf16_rows"), 256, 0, s>>>(src, R, K, row_step, row_offset, dst);
  QWEN3_CUDA_CHECK_LAUNCH("to_bf16_rows");
}

void launch_embedding_gather(const int32_t* ids, int64_t T, const bf16* E, int64_t H, float* x, cudaStream_t s) {
  if (T == 0) return;
  embedding_gather_kernel<<<static_cast<unsigned>(T), kRowThreads, 0, s>>>(ids, E, H, x);
  QWEN3_CUDA_CHECK_LAUNCH("embedding_gather");
}

void launch_rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, bf16* y, cudaStream_t s) {
  check_row(n, "rms_norm");
  if (rows == 0) return;
  rms_norm_kernel<bf16><<<static_cast<unsigned>(rows), kRowThreads, 0, s>>>(x, w, n, eps, y);
  QWEN3_CUDA_CHECK_LAUNCH("rms_norm");
}

void launch_rms_norm_f32(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y,
                         cudaStream_t s) {
  check_row(n, "rms_norm_f32");
  if (rows == 0) return;
  rms_norm_kernel<float><<<static_cast<unsigned>(rows), kRowThreads, 0, s>>>(x, w, n, eps, y);
  QWEN3_CUDA_CHECK_LAUNCH("rms_norm_f32");
}

void launch_qk_norm_rope(bf16* qkv, const int32_t* positions, const float* q_w, const float* k_w,
                         const float* inv_freq, int64_t T, int64_t NH, int64_t NKV, int64_t D, float eps,
                         cudaStream_t s) {
  if (D % 2 != 0 || D / 2 > 32 * kMaxPairsPerLane) {
    throw InputError("qk_norm_rope: head_dim " + std::to_string(D) + " is not supported (even, at most " +
                     std::to_string(64 * kMaxPairsPerLane) + ")");
  }
  const int64_t warps = T * (NH + NKV);
  if (warps == 0) return;
  constexpr int kThreads = 256;
  qk_norm_rope_kernel<<<blocks_for(warps * 32, kThreads, "qk_norm_rope"), kThreads, 0, s>>>(qkv, positions, q_w, k_w,
                                                                                          inv_freq, T, NH, NKV, D,
                                                                                          eps);
  QWEN3_CUDA_CHECK_LAUNCH("qk_norm_rope");
}

void launch_silu_mul(const bf16* gu, int64_t T, int64_t I, bf16* y, cudaStream_t s) {
  if (T * I == 0) return;
  silu_mul_kernel<<<blocks_for(T * I, 256, "silu_mul"), 256, 0, s>>>(gu, T * I, y);
  QWEN3_CUDA_CHECK_LAUNCH("silu_mul");
}

void launch_final_norm_pool(const float* x, const int32_t* offsets, int64_t B, int64_t H, const float* w, float eps,
                            float* emb, cudaStream_t s) {
  check_row(H, "final_norm_pool");
  if (B == 0) return;
  final_norm_pool_kernel<<<static_cast<unsigned>(B), kRowThreads, 0, s>>>(x, offsets, H, w, eps, emb);
  QWEN3_CUDA_CHECK_LAUNCH("final_norm_pool");
}

}  // namespace qwen3::cuda_opt
