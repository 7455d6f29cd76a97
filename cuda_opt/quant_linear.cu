// cuda_opt's quantised matrix products (quant_linear.h): quant_gemm's weight-only GEMM into fp32, then one
// element-wise kernel for what the bf16 path fuses (epilogues.cuh): the bf16 store, the residual add, SwiGLU.
#include "cuda_opt/quant_linear.h"

#include <string>

#include "core/error.h"
#include "cuda_common/cuda_check.h"
#include "quant_gemm/quant_gemm_cuda.h"

namespace qwen3::cuda_opt {

using bf16 = __nv_bfloat16;

namespace {

constexpr int kThreads = 256;

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

// y[i] = bf16(f[i])
__global__ void store_bf16_kernel(const float* f, int64_t n, bf16* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2bfloat16_rn(f[i]);
}

// resid[i] += f[i]
__global__ void add_f32_kernel(const float* f, int64_t n, float* resid) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) resid[i] += f[i];
}

// y[t, i] = silu(g) · u = g / (1 + e^-g) · u,  g = f[t, 2i], u = f[t, 2i+1]   (as epilogues.cuh's SwiGLU)
__global__ void swiglu_kernel(const float* f, int64_t n, bf16* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = f[2 * i], u = f[2 * i + 1];
  y[i] = __float2bfloat16_rn(g / (1.0f + __expf(-g)) * u);
}

// scratch[T, out] = x Wᵀ in fp32 with W's quantised kernel.
void gemm(const QuantMatrix& W, const bf16* x, int64_t T, int64_t in, int64_t out, float* scratch, cudaStream_t s) {
  if (T > kQuantMaxTokens || in > 0x7fffffff || out > 0x7fffffff) {
    throw InputError("quantised linear: sizes out of range (T=" + std::to_string(T) + ", in=" + std::to_string(in) +
                     ", out=" + std::to_string(out) + ")");
  }
  const auto* xbits = reinterpret_cast<const uint16_t*>(x);  // bf16's bits, as the kernels read them
  const int M = static_cast<int>(T), N = static_cast<int>(out), K = static_cast<int>(in);
  switch (W.kind) {
    case QuantMatrix::Kind::kQ8_0: return quant_gemm::gemm_w8a16(xbits, W.codes, W.scales, scratch, M, N, K, s);
    case QuantMatrix::Kind::kQ4_K: return quant_gemm::gemm_w4a16_q4k(xbits, W.blocks, scratch, M, N, K, s);
    case QuantMatrix::Kind::kNone: break;
  }
  throw InputError("quantised linear: no quantised weights for this projection");
}

}  // namespace

void quant_linear_store_bf16(const QuantMatrix& W, const bf16* x, int64_t T, int64_t in, int64_t out, bf16* y,
                             float* scratch, cudaStream_t s) {
  gemm(W, x, T, in, out, scratch, s);
  if (T * out == 0) return;
  store_bf16_kernel<<<blocks_for(T * out), kThreads, 0, s>>>(scratch, T * out, y);
  QWEN3_CUDA_CHECK_LAUNCH("quant_store_bf16");
}

void quant_linear_add_f32(const QuantMatrix& W, const bf16* a, int64_t T, int64_t in, int64_t out, float* resid,
                          float* scratch, cudaStream_t s) {
  gemm(W, a, T, in, out, scratch, s);
  if (T * out == 0) return;
  add_f32_kernel<<<blocks_for(T * out), kThreads, 0, s>>>(scratch, T * out, resid);
  QWEN3_CUDA_CHECK_LAUNCH("quant_add_f32");
}

void quant_linear_swiglu(const QuantMatrix& W, const bf16* x, int64_t T, int64_t in, int64_t I, bf16* y,
                         float* scratch, cudaStream_t s) {
  gemm(W, x, T, in, 2 * I, scratch, s);
  if (T * I == 0) return;
  swiglu_kernel<<<blocks_for(T * I), kThreads, 0, s>>>(scratch, T * I, y);
  QWEN3_CUDA_CHECK_LAUNCH("quant_swiglu");
}

}  // namespace qwen3::cuda_opt
