// Helpers of the ladder's runner and tests: random inputs, bf16 conversion, NaN poisoning, and the check of
// gemm_check.h computed on the device (the model's largest C is 16384 × 24576 floats, 1.5 GiB: no copy).
#include <cmath>
#include <cstring>

#include "core/rng.h"
#include "cuda_common/device.h"
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

// sums[0] += Σ (c - ref)², sums[1] += Σ ref², *max_diff = max(*max_diff, |c - ref|), *nonfinite += #{c not finite}
__global__ void compare_kernel(const float* c, const float* ref, size_t n, double* sums,
                               unsigned long long* max_diff_bits, unsigned long long* nonfinite) {
  __shared__ double s_diff[kThreads], s_ref[kThreads], s_max[kThreads];
  __shared__ unsigned long long s_bad[kThreads];
  double diff = 0, norm = 0, worst = 0;
  unsigned long long bad = 0;
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n; i += size_t{gridDim.x} * blockDim.x) {
    const float ci = c[i];
    const double r = ref[i];
    if (!isfinite(ci)) {
      ++bad;
    } else {
      const double d = static_cast<double>(ci) - r;
      diff += d * d;
      worst = fmax(worst, fabs(d));
    }
    norm += r * r;
  }
  s_diff[threadIdx.x] = diff, s_ref[threadIdx.x] = norm, s_max[threadIdx.x] = worst, s_bad[threadIdx.x] = bad;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {  // tree reduction in shared memory
    if (static_cast<int>(threadIdx.x) < stride) {
      s_diff[threadIdx.x] += s_diff[threadIdx.x + stride];
      s_ref[threadIdx.x] += s_ref[threadIdx.x + stride];
      s_max[threadIdx.x] = fmax(s_max[threadIdx.x], s_max[threadIdx.x + stride]);
      s_bad[threadIdx.x] += s_bad[threadIdx.x + stride];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    atomicAdd(&sums[0], s_diff[0]);
    atomicAdd(&sums[1], s_ref[0]);
    // a non-negative double's bits order as unsigned integers do, so atomicMax on them is a max of the values
    atomicMax(max_diff_bits, static_cast<unsigned long long>(__double_as_longlong(s_max[0])));
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
  if (n == 0) return gemm_error_from_sums(0, 0, 0, 0, 0);
  DeviceBuffer<double> sums(2, "the GEMM comparison's sums");
  DeviceBuffer<unsigned long long> counts(2, "the GEMM comparison's max and count");  // max |c - ref| bits, bad
  QWEN3_CUDA_CHECK(cudaMemsetAsync(sums.data(), 0, sums.bytes(), s), "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaMemsetAsync(counts.data(), 0, counts.bytes(), s), "gemm ladder: compare");
  compare_kernel<<<grid_for(n), kThreads, 0, s>>>(c, ref, n, sums.data(), counts.data(), counts.data() + 1);
  QWEN3_CUDA_CHECK_LAUNCH("gemm ladder: compare");
  double host_sums[2] = {0, 0};
  unsigned long long host_counts[2] = {0, 0};
  QWEN3_CUDA_CHECK(cudaMemcpyAsync(host_sums, sums.data(), sizeof host_sums, cudaMemcpyDeviceToHost, s),
                   "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaMemcpyAsync(host_counts, counts.data(), sizeof host_counts, cudaMemcpyDeviceToHost, s),
                   "gemm ladder: compare");
  QWEN3_CUDA_CHECK(cudaStreamSynchronize(s), "gemm ladder: compare");
  double max_diff = 0;
  std::memcpy(&max_diff, &host_counts[0], sizeof max_diff);
  return gemm_error_from_sums(host_sums[0], max_diff, host_sums[1], host_counts[1], n);
}

}  // namespace qwen3::gemm
