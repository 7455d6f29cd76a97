// cuda_naive's kernels: the Qwen3 forward pass as the simplest GPU code, in fp32.
//
// One small __global__ kernel per op, one thread per output element, no shared memory, no fusion: each kernel
// is the body of ref_cpu/ops.cpp's loop with the loop indices taken from the thread index. Read the two files
// side by side: the equations, the shapes and the order of the floating-point operations are the same.
//
// Legend (as in llm.c):  T = tokens of the packed batch, B = sequences, H = hidden, I = intermediate,
//   NH / NKV = query / key-value heads, D = head_dim, V = vocabulary, len = one sequence's length.
// All tensors are row-major fp32 in device memory.
//
// Every kernel has the same skeleton:
//   idx = global thread index               (int64: T·I or NH·len² can exceed 2^31)
//   if (idx >= number of outputs) return    (the last block is partly idle)
//   unflatten idx into the output's indices (t, o), (h, i, j), ...
//   compute that one output with a plain loop
// and its launcher gives every output one thread: blocks of kThreads threads, ceil(n / kThreads) blocks.
//
// Where the GPU's numbers may differ from the CPU's, in the last bits only:
//  - nvcc contracts a*b + c into one fused multiply-add (one rounding instead of two); g++ on x86-64 without
//    -march does not. Sums such as a dot product therefore differ by ~1 ulp per term. The random-weight kernel
//    (cuda_common/fill_random.cu), which must be bit-exact, uses __fmul_rn / __fadd_rn, which are never contracted.
//  - expf, cosf, sinf are CUDA's (within 2 ulp), not glibc's. sqrtf and '/' are correctly rounded in both
//    (this file must not be built with --use_fast_math, which would replace them with approximations).
//  - sums run in the CPU's order where the CPU loops (RMSNorm, softmax, L2 norm); Eigen's blocked GEMM sums the
//    matmuls in another order.
#include <cmath>
#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "cuda_naive/kernels.cuh"

namespace qwen3::cuda_naive {

namespace {

// Threads per block, for every kernel. Any multiple of the warp size (32) works; 256 is a common middle.
constexpr int kThreads = 256;

// Blocks that give each of n outputs one thread.
unsigned int blocks_for(int64_t n, const char* op) {
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 2147483647LL) {  // the grid's x dimension holds at most 2^31 - 1 blocks
    throw InputError(std::string(op) + ": " + std::to_string(n) + " outputs are too many for one 1-D grid");
  }
  return static_cast<unsigned int>(blocks);
}

// This thread's global index: the output element it computes.
__device__ inline int64_t thread_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// ---- embedding -------------------------------------------------------------------------------------------

// out[t, h] = E[ids[t], h]
// ids: [T], E: [V, H], out: [T, H]; one thread per out[t, h]
__global__ void embedding_gather_kernel(const int32_t* ids, int64_t T, const float* E, int64_t H, float* out) {
  const int64_t idx = thread_index();
  if (idx >= T * H) return;
  const int64_t t = idx / H, h = idx % H;
  // seek to E[ids[t], h]
  out[idx] = E[static_cast<int64_t>(ids[t]) * H + h];
}

// ---- RMSNorm ---------------------------------------------------------------------------------------------
// Two kernels. Each output needs its row's mean of squares: one thread per output recomputing it would read
// the row n times per row (n = 4096 for the 8B: as many operations as a matmul) and could not run in place,
// since a thread writing y[r, i] would change x[r, i] under its neighbours' sums. So one thread per row
// computes the statistic (with the CPU's loop, in the CPU's order), then one thread per element applies it;
// every element is read and written by the same thread, so x and y may alias as in ref_cpu.
// The cost of the first kernel: only `rows` threads, each walking its row alone (adjacent threads read addresses
// n floats apart, which the memory system cannot coalesce) — cuda_opt gives each row a block and reduces in it.

// inv_rms[r] = 1 / sqrt(mean(x[r, :]²) + eps)
// x: [rows, n], inv_rms: [rows]; one thread per row
__global__ void rms_norm_inv_rms_kernel(const float* x, int64_t rows, int64_t n, float eps, float* inv_rms) {
  const int64_t r = thread_index();
  if (r >= rows) return;
  const float* xr = x + r * n;  // seek to x[r, :]
  float ss = 0.0f;
  for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
  inv_rms[r] = 1.0f / sqrtf(ss / static_cast<float>(n) + eps);
}

// y[r, i] = w[i] · (x[r, i] · inv_rms[r])
// x, y: [rows, n], w: [n], inv_rms: [rows]; one thread per y[r, i]
__global__ void rms_norm_apply_kernel(const float* x, const float* w, const float* inv_rms, int64_t rows, int64_t n,
                                      float* y) {
  const int64_t idx = thread_index();
  if (idx >= rows * n) return;
  const int64_t r = idx / n, i = idx % n;
  y[idx] = w[i] * (x[idx] * inv_rms[r]);
}

// ---- matmul ----------------------------------------------------------------------------------------------

// y[t, o] = Σ_i x[t, i] · W[o, i]                       (y = x Wᵀ, the textbook triple loop's inner loop)
// x: [T, in], W: [out, in], y: [T, out]; one thread per y[t, o]
// Every thread reads a whole row of x and a whole row of W from global memory: 2·in loads for 2·in flops.
// Neighbouring threads (o, o+1) read W rows `in` floats apart, uncoalesced. gemm/ in cuda_opt climbs from here.
__global__ void linear_kernel(const float* x, const float* W, int64_t T, int64_t in, int64_t out, float* y) {
  const int64_t idx = thread_index();
  if (idx >= T * out) return;
  const int64_t t = idx / out, o = idx % out;
  const float* xt = x + t * in;  // seek to x[t, :]
  const float* wo = W + o * in;  // seek to W[o, :]
  float sum = 0.0f;
  for (int64_t i = 0; i < in; ++i) sum += xt[i] * wo[i];
  y[idx] = sum;
}

// ---- RoPE ------------------------------------------------------------------------------------------------

// (x[t,h,i], x[t,h,i+D/2]) <- (x1·cos θ - x2·sin θ,  x2·cos θ + x1·sin θ),  θ = pos[t] · inv_freq[i]
// x: [T, heads, D] in place, positions: [T], inv_freq: [D/2]; one thread per (t, h, i < D/2) pair: each thread
// owns both elements of its pair, so the rotation can run in place.
// θ is rounded to fp32 exactly as on the CPU (one fp32 product of the same two floats; inv_freq comes from
// the host). cosf/sinf are CUDA's, accurate to 2 ulp with a full range reduction, so they may differ from
// glibc's in the last bit (never --use_fast_math here: __cosf/__sinf lose all accuracy at θ in the thousands).
__global__ void rope_kernel(float* x, const int32_t* positions, const float* inv_freq, int64_t T, int64_t heads,
                            int64_t D) {
  const int64_t half = D / 2;
  const int64_t idx = thread_index();
  if (idx >= T * heads * half) return;
  const int64_t t = idx / (heads * half), h = (idx / half) % heads, i = idx % half;
  const float angle = __fmul_rn(static_cast<float>(positions[t]), inv_freq[i]);  // θ = pos · inv_freq, fp32
  const float c = cosf(angle), s = sinf(angle);
  float* xh = x + (t * heads + h) * D;  // seek to x[t, h, :]
  const float x1 = xh[i], x2 = xh[i + half];
  xh[i] = x1 * c - x2 * s;         // x·cos + rotate_half(x)·sin, first half
  xh[i + half] = x2 * c + x1 * s;  // second half
}

// ---- attention, one sequence: tokens start .. start+len-1 -----------------------------------------------
// The scores of one sequence are S[h, i, j], i = query token, j = key token, both counted from `start`.
// Launching per sequence makes the packed batch's block-diagonal mask structural (keys of other sequences are
// never looked at); the kernel adds the causal part, -inf for j > i.

// pass 1: S[h, i, j] = q[start+i, h, :]·k[start+j, g, :] · (1/sqrt(D)) for j <= i, -inf for j > i;  g = h/(NH/NKV)
// q: [T, NH, D], k: [T, NKV, D], S: [NH, len, len]; one thread per S[h, i, j]
__global__ void attention_scores_kernel(const float* q, const float* k, int64_t start, int64_t len, int64_t NH,
                                        int64_t NKV, int64_t D, float scale, float* S) {
  const int64_t idx = thread_index();
  if (idx >= NH * len * len) return;
  const int64_t h = idx / (len * len), i = (idx / len) % len, j = idx % len;
  if (j > i) {  // causal mask: a token does not see the tokens after it
    S[idx] = -INFINITY;
    return;
  }
  const int64_t g = h / (NH / NKV);                   // the KV head this query head reads
  const float* qi = q + ((start + i) * NH + h) * D;   // seek to q[start+i, h, :]
  const float* kj = k + ((start + j) * NKV + g) * D;  // seek to k[start+j, g, :]
  float dot = 0.0f;
  for (int64_t d = 0; d < D; ++d) dot += qi[d] * kj[d];
  S[idx] = dot * scale;
}

// passes 2-4: P[h, i, j] = exp(S[h,i,j] - m) / Σ_{j' <= i} exp(S[h,i,j'] - m),  m = max_{j' <= i} S[h,i,j'];
// P = 0 for j > i.  S: [NH, len, len] in place; one thread per row (h, i)
// A row's outputs all need the row's max and sum, so one thread does the whole row in the CPU's passes and order
// (the same trade-off as RMSNorm's statistic; cuda_opt's attention never writes S at all).
__global__ void causal_softmax_kernel(float* S, int64_t NH, int64_t len) {
  const int64_t r = thread_index();
  if (r >= NH * len) return;
  const int64_t i = r % len;  // the query token of this row: keys 0..i are visible
  float* row = S + r * len;   // seek to S[h, i, :]
  // pass 2: the row's maximum, for numerical stability
  float m = row[0];
  for (int64_t j = 1; j <= i; ++j) m = fmaxf(m, row[j]);
  // pass 3: exponentials and their sum
  float sum = 0.0f;
  for (int64_t j = 0; j <= i; ++j) sum += (row[j] = expf(row[j] - m));
  // pass 4: normalise into probabilities; masked entries (j > i) get probability 0
  for (int64_t j = 0; j < len; ++j) row[j] = j <= i ? row[j] / sum : 0.0f;
}

// pass 5: out[start+i, h, d] = Σ_{j <= i} P[h, i, j] · v[start+j, g, d],  g = h / (NH/NKV)
// P: [NH, len, len], v: [T, NKV, D], out: [T, NH, D]; one thread per out[start+i, h, d]
__global__ void attention_values_kernel(const float* P, const float* v, int64_t start, int64_t len, int64_t NH,
                                        int64_t NKV, int64_t D, float* out) {
  const int64_t idx = thread_index();
  if (idx >= len * NH * D) return;
  const int64_t i = idx / (NH * D), h = (idx / D) % NH, d = idx % D;
  const int64_t g = h / (NH / NKV);
  const float* p = P + (h * len + i) * len;  // seek to P[h, i, :]
  const float* vd = v + (start * NKV + g) * D + d;  // seek to v[start, g, d]; v[start+j, g, d] is j·NKV·D further
  float sum = 0.0f;
  for (int64_t j = 0; j <= i; ++j) sum += p[j] * vd[j * NKV * D];
  out[((start + i) * NH + h) * D + d] = sum;  // seek to out[start+i, h, d]
}

// ---- MLP and residual ------------------------------------------------------------------------------------

// y[i] = g[i] / (1 + e^-g[i]) · u[i]
// g, u, y: [n]; one thread per y[i]
__global__ void silu_mul_kernel(const float* g, const float* u, int64_t n, float* y) {
  const int64_t i = thread_index();
  if (i >= n) return;
  y[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

// x[i] += y[i]
// x, y: [n]; one thread per x[i]
__global__ void add_inplace_kernel(float* x, const float* y, int64_t n) {
  const int64_t i = thread_index();
  if (i >= n) return;
  x[i] += y[i];
}

// ---- pooling ---------------------------------------------------------------------------------------------

// out[b, h] = x[offsets[b+1] - 1, h]
// x: [T, H], offsets: [B+1], out: [B, H]; one thread per out[b, h]
__global__ void gather_last_tokens_kernel(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out) {
  const int64_t idx = thread_index();
  if (idx >= B * H) return;
  const int64_t b = idx / H, h = idx % H;
  out[idx] = x[(offsets[b + 1] - 1) * H + h];  // seek to x[last token of b, h]
}

// x[r, :] <- x[r, :] · (1 / sqrt(Σ_i x[r, i]²))        (sum of squares in double, as core/pooling.cpp)
// x: [rows, n]; one thread per row: rows = B is a handful, and the row's norm is needed by every element.
__global__ void l2_normalize_kernel(float* x, int64_t rows, int64_t n) {
  const int64_t r = thread_index();
  if (r >= rows) return;
  float* xr = x + r * n;  // seek to x[r, :]
  double ss = 0.0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(xr[i]) * xr[i];
  if (ss == 0.0) return;  // a zero vector stays zero
  const float inv = static_cast<float>(1.0 / sqrt(ss));
  for (int64_t i = 0; i < n; ++i) xr[i] *= inv;
}

}  // namespace

// ---- launchers: one thread per output, each launch checked with its op's name ----------------------------

void launch_embedding_gather(const int32_t* ids, int64_t T, const float* E, int64_t H, float* out, cudaStream_t s) {
  if (T * H == 0) return;
  embedding_gather_kernel<<<blocks_for(T * H, "embedding_gather"), kThreads, 0, s>>>(ids, T, E, H, out);
  QWEN3_CUDA_CHECK_LAUNCH("embedding_gather");
}

void launch_rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* inv_rms, float* y,
                     cudaStream_t s) {
  if (rows * n == 0) return;
  rms_norm_inv_rms_kernel<<<blocks_for(rows, "rms_norm"), kThreads, 0, s>>>(x, rows, n, eps, inv_rms);
  QWEN3_CUDA_CHECK_LAUNCH("rms_norm (statistic)");
  rms_norm_apply_kernel<<<blocks_for(rows * n, "rms_norm"), kThreads, 0, s>>>(x, w, inv_rms, rows, n, y);
  QWEN3_CUDA_CHECK_LAUNCH("rms_norm (apply)");
}

void launch_linear(const float* x, const float* W, int64_t T, int64_t in, int64_t out, float* y, cudaStream_t s) {
  if (T * out == 0) return;
  linear_kernel<<<blocks_for(T * out, "linear"), kThreads, 0, s>>>(x, W, T, in, out, y);
  QWEN3_CUDA_CHECK_LAUNCH("linear");
}

void launch_apply_rope(float* x, const int32_t* positions, const float* inv_freq, int64_t T, int64_t heads, int64_t D,
                       cudaStream_t s) {
  const int64_t pairs = T * heads * (D / 2);
  if (pairs == 0) return;
  rope_kernel<<<blocks_for(pairs, "apply_rope"), kThreads, 0, s>>>(x, positions, inv_freq, T, heads, D);
  QWEN3_CUDA_CHECK_LAUNCH("apply_rope");
}

void launch_attention_scores(const float* q, const float* k, int64_t start, int64_t len, int64_t NH, int64_t NKV,
                             int64_t D, float* S, cudaStream_t s) {
  const int64_t n = NH * len * len;
  if (n == 0) return;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));  // as ref_cpu: 1/sqrt(D) in fp32
  attention_scores_kernel<<<blocks_for(n, "attention_scores"), kThreads, 0, s>>>(q, k, start, len, NH, NKV, D, scale,
                                                                                  S);
  QWEN3_CUDA_CHECK_LAUNCH("attention_scores");
}

void launch_causal_softmax(float* S, int64_t NH, int64_t len, cudaStream_t s) {
  if (NH * len == 0) return;
  causal_softmax_kernel<<<blocks_for(NH * len, "causal_softmax"), kThreads, 0, s>>>(S, NH, len);
  QWEN3_CUDA_CHECK_LAUNCH("causal_softmax");
}

void launch_attention_values(const float* P, const float* v, int64_t start, int64_t len, int64_t NH, int64_t NKV,
                             int64_t D, float* out, cudaStream_t s) {
  const int64_t n = len * NH * D;
  if (n == 0) return;
  attention_values_kernel<<<blocks_for(n, "attention_values"), kThreads, 0, s>>>(P, v, start, len, NH, NKV, D, out);
  QWEN3_CUDA_CHECK_LAUNCH("attention_values");
}

int64_t attention_scores_floats(int64_t NH, int64_t max_len) { return NH * max_len * max_len; }

void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets_host, int64_t B,
                      int64_t NH, int64_t NKV, int64_t D, float* scores, int64_t scores_floats, float* out,
                      cudaStream_t s) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets_host[b], len = offsets_host[b + 1] - offsets_host[b];
    if (attention_scores_floats(NH, len) > scores_floats) {
      throw InputError("causal_attention: sequence " + std::to_string(b) + " of " + std::to_string(len) +
                       " tokens needs " + std::to_string(attention_scores_floats(NH, len)) +
                       " floats of scores but the buffer holds " + std::to_string(scores_floats));
    }
    // S = scores[0 .. NH·len·len): this sequence's [NH, len, len], reused by the next sequence
    launch_attention_scores(q, k, start, len, NH, NKV, D, scores, s);  // pass 1: S = QKᵀ/sqrt(D), causal mask
    launch_causal_softmax(scores, NH, len, s);                         // passes 2-4: P = softmax(S) row by row
    launch_attention_values(scores, v, start, len, NH, NKV, D, out, s);  // pass 5: O = P V
  }
}

void launch_silu_mul(const float* g, const float* u, int64_t n, float* y, cudaStream_t s) {
  if (n == 0) return;
  silu_mul_kernel<<<blocks_for(n, "silu_mul"), kThreads, 0, s>>>(g, u, n, y);
  QWEN3_CUDA_CHECK_LAUNCH("silu_mul");
}

void launch_add_inplace(float* x, const float* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  add_inplace_kernel<<<blocks_for(n, "add_inplace"), kThreads, 0, s>>>(x, y, n);
  QWEN3_CUDA_CHECK_LAUNCH("add_inplace");
}

void launch_gather_last_tokens(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out,
                               cudaStream_t s) {
  if (B * H == 0) return;
  gather_last_tokens_kernel<<<blocks_for(B * H, "gather_last_tokens"), kThreads, 0, s>>>(x, offsets, B, H, out);
  QWEN3_CUDA_CHECK_LAUNCH("gather_last_tokens");
}

void launch_l2_normalize(float* x, int64_t rows, int64_t n, cudaStream_t s) {
  if (rows * n == 0) return;
  l2_normalize_kernel<<<blocks_for(rows, "l2_normalize"), kThreads, 0, s>>>(x, rows, n);
  QWEN3_CUDA_CHECK_LAUNCH("l2_normalize");
}

}  // namespace qwen3::cuda_naive
