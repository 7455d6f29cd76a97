// The ceilings step 9 runs under, measured instead of assumed (gemm_ladder --ceilings):
//   1. mma.sync.m16n8k16 (bf16 in, fp32 accumulate) with its operands already in registers and nothing else to
//      do: the most any mma.sync kernel can reach on this GPU. On Hopper cuBLAS uses wgmma instead, so this
//      number says how much of cuBLAS step 9 can hope for at all.
//   2. ldmatrix.x4 from shared memory, conflict-free: bytes per clock per SM. Step 9's header reasons that
//      shared-memory bandwidth (assumed 128 bytes per clock per SM) is what bounds its first tiling.
// Both kernels run one block of 16 warps per SM and time themselves with clock64() (SM clocks, so the figures do
// not depend on the clock rate); the mma kernel is also timed with CUDA events for TFLOP/s.
#include <algorithm>
#include <vector>

#include "cuda_common/device.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/gemm/gemm_common.cuh"

namespace qwen3::gemm {

namespace {

constexpr int kWarps = 16, kThreads = kWarps * 32;
constexpr int kChains = 8;  // independent accumulators per warp: enough mma in flight to hide its latency

// Each warp runs `iters` × kChains mma.sync on register operands; block b's SM clocks go to cycles[b].
// sink: one float per thread, so that the accumulators are live (asm volatile alone keeps the mma).
__global__ void __launch_bounds__(kThreads) mma_ceiling_kernel(int iters, float* sink, long long* cycles) {
  // operands: bf16 pairs 2^-10 (0x3A80): products 2^-20, so the sums stay small and finite
  const uint32_t a[4] = {0x3A803A80u, 0x3A803A80u, 0x3A803A80u, 0x3A803A80u};
  const uint32_t b0 = 0x3A803A80u, b1 = 0x3A803A80u;
  float acc[kChains][4] = {};
  __syncthreads();
  const long long t0 = clock64();
  for (int i = 0; i < iters; ++i) {
#pragma unroll
    for (int c = 0; c < kChains; ++c) detail::mma_m16n8k16(acc[c], a, b0, b1);
  }
  __syncthreads();
  const long long t1 = clock64();
  if (threadIdx.x == 0) cycles[blockIdx.x] = t1 - t0;
  float s = 0;
#pragma unroll
  for (int c = 0; c < kChains; ++c) s += acc[c][0] + acc[c][1] + acc[c][2] + acc[c][3];
  sink[blockIdx.x * kThreads + threadIdx.x] = s;
}

// Each warp runs `iters` ldmatrix.x4 over its own 512 contiguous bytes of shared memory (lane l gives row
// address l × 16: each 8-lane phase reads 128 contiguous bytes, one per bank group: conflict-free).
__global__ void __launch_bounds__(kThreads) ldmatrix_ceiling_kernel(int iters, uint32_t* sink, long long* cycles) {
  __shared__ __align__(128) uint32_t buf[kWarps * 128];  // 512 bytes per warp
  for (int i = threadIdx.x; i < kWarps * 128; i += kThreads) buf[i] = static_cast<uint32_t>(i * 2654435761u);
  __syncthreads();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(buf + warp * 128 + lane * 4));
  uint32_t x = 0;
  const long long t0 = clock64();
#pragma unroll 8
  for (int i = 0; i < iters; ++i) {
    uint32_t r[4];
    detail::ldmatrix_x4(r, addr);
    x ^= r[0] ^ r[1] ^ r[2] ^ r[3];
  }
  __syncthreads();
  const long long t1 = clock64();
  if (threadIdx.x == 0) cycles[blockIdx.x] = t1 - t0;
  sink[blockIdx.x * kThreads + threadIdx.x] = x;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

InstructionCeilings measure_instruction_ceilings(cudaStream_t s) {
  int device = 0, sms = 0;
  QWEN3_CUDA_CHECK(cudaGetDevice(&device), "instruction ceilings: the device");
  QWEN3_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "instruction ceilings");
  const unsigned blocks = static_cast<unsigned>(sms);  // one block of 16 warps per SM
  DeviceBuffer<float> fsink(size_t{blocks} * kThreads, "mma ceiling sink");
  DeviceBuffer<uint32_t> usink(size_t{blocks} * kThreads, "ldmatrix ceiling sink");
  DeviceBuffer<long long> cycles(blocks, "clock counts");
  // The median over SMs of `work` per SM clock, from the clock counts the last kernel wrote.
  auto per_clock = [&](double work) {
    std::vector<long long> host(blocks);
    QWEN3_CUDA_CHECK(cudaMemcpy(host.data(), cycles.data(), blocks * sizeof(long long), cudaMemcpyDeviceToHost),
                     "instruction ceilings: clock counts");
    std::vector<double> v;
    for (long long c : host) v.push_back(work / static_cast<double>(std::max(c, 1LL)));
    return median(v);
  };
  InstructionCeilings out;
  // 1. mma.sync: the median of 5 timed runs (after one warm-up), and SM clocks per mma from the last one
  constexpr int kMmaIters = 1 << 14;  // 16 warps × 2^14 × 8 mma per SM: ~1-3 ms on current GPUs
  CudaTimer timer;
  std::vector<double> ms;
  for (int run = 0; run < 6; ++run) {
    timer.start(s);
    mma_ceiling_kernel<<<blocks, kThreads, 0, s>>>(kMmaIters, fsink.data(), cycles.data());
    QWEN3_CUDA_CHECK_LAUNCH("mma_ceiling_kernel");
    timer.stop(s);
    const float t = timer.elapsed_ms("mma_ceiling_kernel");
    if (run > 0) ms.push_back(t);
  }
  const double mma_per_sm = double{kWarps} * kMmaIters * kChains;
  out.mma_tflops = mma_per_sm * blocks * 2.0 * 16 * 8 * 16 / (median(ms) * 1e-3) / 1e12;
  out.mma_per_clock_per_sm = per_clock(mma_per_sm);
  // 2. ldmatrix.x4: bytes per SM clock, the median over SMs of the second run
  constexpr int kLdIters = 1 << 14;
  for (int run = 0; run < 2; ++run) {
    ldmatrix_ceiling_kernel<<<blocks, kThreads, 0, s>>>(kLdIters, usink.data(), cycles.data());
    QWEN3_CUDA_CHECK_LAUNCH("ldmatrix_ceiling_kernel");
  }
  QWEN3_CUDA_CHECK(cudaStreamSynchronize(s), "ldmatrix_ceiling_kernel");
  out.ldmatrix_bytes_per_clock_per_sm = per_clock(double{kWarps} * kLdIters * 512.0);
  return out;
}

}  // namespace qwen3::gemm
