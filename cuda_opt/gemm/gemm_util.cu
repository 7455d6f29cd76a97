// Helpers of the ladder's runner and tests: random inputs, bf16 conversion, NaN poisoning, and the comparison
// ||c - ref|| / ||ref|| computed on the device (the model's largest C is 16384 × 24576 floats, 1.5 GiB: no copy).
#include <cmath>

#include "core/rng.h"
#include "cuda_naive/device.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int kThreads = 256;

// Enough blocks to fill any current GPU with a grid-stride loop, fewer for small n.
unsigned grid_for(size_t n) {
  const size_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<unsigned>(blocks < 4096 ? (blocks > 0 ? blocks : 1) : 4096);
}

// x[i] = uniform [-1, 1) from (seed, stream, i)
__global__ void fill_random_kernel(float* x, size_t n, uint64_t seed, uint64_t stream) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) {
    x[i] = random_symmetric(seed, stream, i);
  }
}

// y[i] = bf16(x[i]); x[i] = float(y[i]) when round_trip
__global__ void to_bf16_kernel(float* x, bf16* y, size_t n, bool round_trip) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) {
    const bf16 v = __float2bfloat16_rn(x[i]);
    y[i] = v;
    if (round_trip) x[i] = __bfloat162float(v);
  }
}

// sums[0] += Σ (c - ref)², sums[1] += Σ ref², *nonfinite += #{i : c[i] not finite}
__global__ void compare_kernel(const float* c, const float* ref, size_t n, double* sums,
                               unsigned long long* nonfinite) {
  __shared__ double s_diff[kThreads], s_ref[kThreads];
  __shared__ unsigned long long s_bad[kThreads];
  double diff = 0, norm = 0;
  unsigned long long bad = 0;
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) {
    const float ci = c[i];
    const double r = ref[i];
    if (!isfinite(ci)) {
      ++bad;
    } else {
      const double d = static_cast<double>(ci) - r;
      diff += d * d;
    }
    norm += r * r;
  }
  s_diff[threadIdx.x] = diff, s_ref[threadIdx.x] = norm, s_bad[threadIdx.x] = bad;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {  // tree reduction in shared memory
    if (static_cast<int>(threadIdx.x) < stride) {
      s_diff[threadIdx.x] += s_diff[threadIdx.x + stride];
      s_ref[threadIdx.x] += s_ref[threadIdx.x + stride];
      s_bad[threadIdx.x] += s_bad[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&sums[0], s_diff[0]);
    atomicAdd(&sums[1], s_ref[0]);
    atomicAdd(nonfinite, s_bad[0]);
  }
}

}  // namespace

void fill_random(float* x, size_t n, uint64_t seed, uint64_t stream, cudaStream_t s) {
  if (n == 0) return;
  fill_random_kernel<<<grid_for(n), kThreads, 0, s>>>(x, n, seed, stream);
  QWEN3_CUDA_CHECK_LAUNCH("gemm ladder: fill_random");
}

void to_bf16(float* x, bf16* y, size_t n, bool round_trip, cudaStream_t s) {
  if (n == 0) return;
  to_bf16_kernel<<<grid_for(n), kThreads, 0, s>>>(x, y, n, round_trip);
  QWEN3_CUDA_CHECK_LAUNCH("gemm ladder: to_bf16");
}

void poison(float* c, size_t n, cudaStream_t s) {
  if (n == 0) return;
  QWEN3_CUDA_CHECK(cudaMemsetAsync(c, 0xFF, n * sizeof(float), s), "gemm ladder: poisoning C with NaN");
}

GemmError compare(const float* c, const float* ref, size_t n, cudaStream_t s) {
  GemmError e;
  if (n == 0) return e;
  DeviceBuffer<double> sums(2, "the GEMM comparison's sums");
  DeviceBuffer<unsigned long long> bad(1, "the GEMM comparison's count");
  QWEN3_CUDA_CHECK(cudaMemsetAsync(sums.data(), 0, sums.bytes(), s), "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaMemsetAsync(bad.data(), 0, bad.bytes(), s), "gemm ladder: compare");
  compare_kernel<<<grid_for(n), kThreads, 0, s>>>(c, ref, n, sums.data(), bad.data());
  QWEN3_CUDA_CHECK_LAUNCH("gemm ladder: compare");
  double host_sums[2] = {0, 0};
  unsigned long long host_bad = 0;
  QWEN3_CUDA_CHECK(cudaMemcpyAsync(host_sums, sums.data(), sizeof host_sums, cudaMemcpyDeviceToHost, s),
                   "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaMemcpyAsync(&host_bad, bad.data(), sizeof host_bad, cudaMemcpyDeviceToHost, s),
                   "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaStreamSynchronize(s), "gemm ladder: compare");
  e.nonfinite = host_bad;
  if (host_bad > 0) {
    e.rel_l2 = NAN;
  } else if (host_sums[1] == 0) {
    e.rel_l2 = host_sums[0] == 0 ? 0.0 : INFINITY;
  } else {
    e.rel_l2 = std::sqrt(host_sums[0] / host_sums[1]);
  }
  return e;
}

}  // namespace qwen3::gemm
