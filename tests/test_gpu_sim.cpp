// The CPU simulator of CUDA kernels (exercises/common/gpu_sim): that it runs kernels like a GPU would (blocks,
// threads, a real barrier, shared memory), that it counts what the GPU would feel (sectors per warp request,
// bank conflicts) and that it reports the mistakes a learner makes (out of bounds, a missing barrier) as an
// error naming the thread instead of crashing.
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "exercises/common/gpu_sim/cuda_compat.h"

namespace {

using sim::global_ptr;

// y[i] = x[i]: lanes take consecutive floats, 4 sectors (one 128-byte line) per warp request
__global__ void copy_coalesced(global_ptr<const float> x, global_ptr<float> y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i];
}

// y[i] = x[i * stride]: lanes 32 floats apart, one sector each
__global__ void copy_strided(global_ptr<const float> x, global_ptr<float> y, int n, int stride) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[static_cast<int64_t>(i) * stride];
}

TEST(GpuSim, CoalescedCopyCostsFourSectorsPerRequest) {
  const int n = 4096;
  std::vector<float> x(n), y(n, -1.0f);
  std::iota(x.begin(), x.end(), 0.0f);
  sim::Capture cap;
  sim::launch(copy_coalesced, dim3(n / 256), dim3(256), sim::global(std::as_const(x), "x"), sim::global(y, "y"), n);
  EXPECT_EQ(y, x);
  const sim::Stats& s = cap.stats();
  EXPECT_EQ(s.launches, 1);
  EXPECT_EQ(s.blocks, n / 256);
  EXPECT_EQ(s.global_load_requests, n / 32);
  EXPECT_EQ(s.global_store_requests, n / 32);
  EXPECT_DOUBLE_EQ(s.load_sectors_per_request(), 4.0) << s.describe();
  EXPECT_DOUBLE_EQ(s.store_sectors_per_request(), 4.0) << s.describe();
  EXPECT_EQ(s.global_load_lines, n / 32);
  EXPECT_EQ(s.barriers, 0);
}

TEST(GpuSim, StridedCopyCostsThirtyTwoSectorsPerRequest) {
  const int n = 1024, stride = 32;
  std::vector<float> x(static_cast<size_t>(n) * stride), y(n);
  std::iota(x.begin(), x.end(), 0.0f);
  sim::Capture cap;
  sim::launch(copy_strided, dim3(n / 128), dim3(128), sim::global(std::as_const(x), "x"), sim::global(y, "y"), n,
              stride);
  for (int i = 0; i < n; ++i) ASSERT_EQ(y[size_t(i)], float(i * stride));
  EXPECT_DOUBLE_EQ(cap.stats().load_sectors_per_request(), 32.0) << cap.stats().describe();
  EXPECT_DOUBLE_EQ(cap.stats().store_sectors_per_request(), 4.0);
  EXPECT_EQ(cap.stats().global_load_lines, cap.stats().global_load_requests * 32);
  // per buffer: x is read strided, y written coalesced
  EXPECT_DOUBLE_EQ(cap.stats().buffer("x").load_sectors_per_request(), 32.0);
  EXPECT_EQ(cap.stats().buffer("x").store_requests, 0);
  EXPECT_DOUBLE_EQ(cap.stats().buffer("y").store_sectors_per_request(), 4.0);
  EXPECT_EQ(cap.stats().buffer("y").store_bytes, int64_t(n) * 4);
  // the per-site record names this file
  ASSERT_FALSE(cap.stats().sites.empty());
  EXPECT_NE(cap.stats().sites[0].where.find("test_gpu_sim.cpp:"), std::string::npos);
}

TEST(GpuSim, GuardedTailStillGroupsByInstruction) {
  // 100 elements in blocks of 64: the last warp of the last block has 4 live lanes, one request with 1 sector
  const int n = 100;
  std::vector<float> x(n, 1.0f), y(n);
  sim::Capture cap;
  sim::launch(copy_coalesced, dim3(2), dim3(64), sim::global(std::as_const(x), "x"), sim::global(y, "y"), n);
  EXPECT_EQ(cap.stats().global_load_requests, 4);  // 32 + 32 + 32 + 4 lanes
  EXPECT_EQ(cap.stats().global_load_sectors, 4 + 4 + 4 + 1);
}

// out[b] = Σ x over the block, via a shared-memory tree; `sync` false drops the barriers (a learner's mistake)
__global__ void block_sum(global_ptr<const float> x, global_ptr<float> out, bool sync) {
  QWEN3_SHARED(float, partial, [256]);
  const unsigned t = threadIdx.x;
  partial[t] = x[blockIdx.x * blockDim.x + t];
  if (sync) __syncthreads();
  for (unsigned half = blockDim.x / 2; half > 0; half /= 2) {
    if (t < half) partial[t] = partial[t] + partial[t + half];
    if (sync) __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

TEST(GpuSim, BarrierMakesTheBlockReductionRight) {
  std::vector<float> x(4 * 256);
  std::iota(x.begin(), x.end(), 0.0f);
  std::vector<float> out(4);
  sim::Capture cap;
  sim::launch(block_sum, dim3(4), dim3(256), sim::global(std::as_const(x), "x"), sim::global(out, "out"), true);
  for (int b = 0; b < 4; ++b) {
    double want = 0;
    for (int i = 0; i < 256; ++i) want += x[size_t(b * 256 + i)];
    EXPECT_EQ(out[size_t(b)], float(want));
  }
  EXPECT_EQ(cap.stats().barriers, 4 * 9);  // 1 + log2(256) per block
  EXPECT_EQ(cap.stats().max_bank_conflict_ways, 1) << cap.stats().describe();
}

TEST(GpuSim, MissingBarrierIsDetected) {
  std::vector<float> x(256, 1.0f), out(1);
  try {
    sim::launch(block_sum, dim3(1), dim3(256), sim::global(std::as_const(x), "x"), sim::global(out, "out"), false);
    FAIL() << "no error; out = " << out[0];
  } catch (const sim::KernelError& e) {
    const std::string m = e.what();
    // thread 0 runs ahead and reads partial[128] before thread 128 has stored it
    EXPECT_NE(m.find("never written"), std::string::npos) << m;
    EXPECT_NE(m.find("partial"), std::string::npos) << m;
    EXPECT_NE(m.find("thread (0,0,0)"), std::string::npos) << m;
  }
}

// Write a tile, then read it back in another thread's slot without a barrier between: a race
__global__ void racy_neighbour(global_ptr<float> out) {
  QWEN3_SHARED(float, s, [64]);
  const unsigned t = threadIdx.x;
  s[t] = float(t);
  __syncthreads();
  s[t] = s[t] + 1.0f;                // fine: every thread its own word
  out[t] = s[(t + 1) % blockDim.x];  // race: the neighbour's word was written in this same interval
}

TEST(GpuSim, RaceBetweenBarriersIsDetected) {
  std::vector<float> out(64);
  try {
    sim::launch(racy_neighbour, dim3(1), dim3(64), sim::global(out, "out"));
    FAIL() << "no race reported";
  } catch (const sim::KernelError& e) {
    EXPECT_NE(std::string(e.what()).find("race"), std::string::npos) << e.what();
  }
}

// Shared reads along a row (lanes on consecutive words) or down a column (lanes 32 words apart: one bank)
__global__ void shared_rows_or_columns(global_ptr<float> out, bool columns, int pad) {
  QWEN3_SHARED(float, tile, [32][33]);
  const unsigned x = threadIdx.x, y = threadIdx.y;
  tile[y][x] = float(y * 32 + x);
  if (pad == 1 && x == 0) tile[y][32] = 0.0f;
  __syncthreads();
  float v;
  if (pad == 0) {
    // the flattened [32][33] array read as [32][32]: element (r, c) at r*32 + c
    const unsigned flat = columns ? x * 32 + y : y * 32 + x;
    v = tile[flat / 33][flat % 33];
  } else {
    v = columns ? tile[x][y] : tile[y][x];
  }
  out[y * 32 + x] = v;
}

TEST(GpuSim, RowReadsAreConflictFreeColumnReadsThirtyTwoWay) {
  std::vector<float> out(1024);
  {
    sim::Capture cap;
    sim::launch(shared_rows_or_columns, dim3(1), dim3(32, 32), sim::global(out, "out"), false, 1);
    EXPECT_EQ(cap.stats().max_bank_conflict_ways, 1) << cap.stats().describe();
    EXPECT_EQ(cap.stats().shared_conflict_wavefronts, 0);
  }
  {
    // padded rows (33 floats): a column read hits 32 different banks
    sim::Capture cap;
    sim::launch(shared_rows_or_columns, dim3(1), dim3(32, 32), sim::global(out, "out"), true, 1);
    EXPECT_EQ(cap.stats().max_bank_conflict_ways, 1) << cap.stats().describe();
    for (int i = 0; i < 1024; ++i) ASSERT_EQ(out[size_t(i)], float((i % 32) * 32 + i / 32));
  }
}

// The same column read with rows of 32 floats: every lane in bank (y mod 32), 32-way
__global__ void column_read_unpadded(global_ptr<float> out) {
  QWEN3_SHARED(float, tile, [32][32]);
  const unsigned x = threadIdx.x, y = threadIdx.y;
  tile[y][x] = float(y * 32 + x);
  __syncthreads();
  out[y * 32 + x] = tile[x][y];
}

__global__ void broadcast_read(global_ptr<float> out) {
  QWEN3_SHARED(float, tile, [32]);
  if (threadIdx.x == 0) tile[0] = 7.0f;
  __syncthreads();
  out[threadIdx.x] = tile[0];  // every lane the same word: a broadcast
}

TEST(GpuSim, UnpaddedColumnReadIsThirtyTwoWayBroadcastIsFree) {
  std::vector<float> out(1024);
  {
    sim::Capture cap;
    sim::launch(column_read_unpadded, dim3(1), dim3(32, 32), sim::global(out, "out"));
    EXPECT_EQ(cap.stats().max_bank_conflict_ways, 32) << cap.stats().describe();
    EXPECT_EQ(cap.stats().shared_load_wavefronts, 32 * 32);  // 32 requests × 32 wavefronts
    EXPECT_EQ(cap.stats().shared_conflict_wavefronts, 32 * 31);
  }
  {
    sim::Capture cap;
    sim::launch(broadcast_read, dim3(1), dim3(32), sim::global(out, "out"));
    EXPECT_EQ(cap.stats().max_bank_conflict_ways, 1) << cap.stats().describe();
    EXPECT_EQ(out[31], 7.0f);
  }
}

__global__ void reads_one_past(global_ptr<const float> x, global_ptr<float> y, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i <= n) y[i] = x[i];  // off by one: i == n reads past the end
}

TEST(GpuSim, OutOfBoundsIsAnErrorNamingTheThread) {
  std::vector<float> x(100), y(100);
  try {
    sim::launch(reads_one_past, dim3(2), dim3(64), sim::global(std::as_const(x), "x"), sim::global(y, "y"), 100);
    FAIL() << "no error";
  } catch (const sim::KernelError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("out-of-bounds global access: x[100]"), std::string::npos) << m;
    EXPECT_NE(m.find("thread (36,0,0) of block (1,0,0)"), std::string::npos) << m;
    EXPECT_NE(m.find("test_gpu_sim.cpp:"), std::string::npos) << m;
  }
}

__global__ void shared_index_too_far(global_ptr<float> out) {
  QWEN3_SHARED(float, s, [32]);
  s[threadIdx.x] = 1.0f;  // 33 threads, 32 elements
  __syncthreads();
  out[threadIdx.x] = 0.0f;
}

__global__ void early_return_before_barrier(global_ptr<float> out, int n) {
  QWEN3_SHARED(float, s, [64]);
  const unsigned t = threadIdx.x;
  if (int(t) >= n) return;  // these threads never reach the barrier
  s[t] = 1.0f;
  __syncthreads();
  out[t] = s[t];
}

TEST(GpuSim, SharedOutOfBoundsAndDivergentBarrierAreErrors) {
  std::vector<float> out(64);
  EXPECT_THROW(sim::launch(shared_index_too_far, dim3(1), dim3(33), sim::global(out, "out")), sim::KernelError);
  try {
    sim::launch(early_return_before_barrier, dim3(1), dim3(64), sim::global(out, "out"), 40);
    FAIL() << "no error";
  } catch (const sim::KernelError& e) {
    EXPECT_NE(std::string(e.what()).find("barrier not reached"), std::string::npos) << e.what();
  }
  // and the simulator is usable again after an error
  sim::launch(early_return_before_barrier, dim3(1), dim3(64), sim::global(out, "out"), 64);
  EXPECT_EQ(out[63], 1.0f);
}

__global__ void copy_float4(global_ptr<const float> x, global_ptr<float> y, int n4) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n4) sim::store_float4(y + 4 * i, sim::load_float4(x + 4 * i));
}

TEST(GpuSim, Float4AccessesAreOneRequestOfSixteenSectorsPerWarp) {
  const int n = 1024;
  std::vector<float> x(n), y(n);
  std::iota(x.begin(), x.end(), 0.0f);
  sim::Capture cap;
  sim::launch(copy_float4, dim3(2), dim3(128), sim::global(std::as_const(x), "x"), sim::global(y, "y"), n / 4);
  EXPECT_EQ(y, x);
  EXPECT_EQ(cap.stats().global_load_requests, n / 4 / 32);
  EXPECT_DOUBLE_EQ(cap.stats().load_sectors_per_request(), 16.0);
  // misaligned: offset by one float
  EXPECT_THROW(
      sim::launch(copy_float4, dim3(1), dim3(32), sim::global(std::as_const(x), "x") + 1, sim::global(y, "y"), 8),
      sim::KernelError);
}

TEST(GpuSim, ManyThreadsWithBarriersRunFast) {
  // 64 blocks of 1024 threads through 9 barriers each: the scheduler must not be the bottleneck
  std::vector<float> x(64 * 256, 1.0f), out(64);
  sim::launch(block_sum, dim3(64), dim3(256), sim::global(std::as_const(x), "x"), sim::global(out, "out"), true);
  EXPECT_EQ(out[63], 256.0f);
}

TEST(GpuSim, BadLaunchConfigurationIsAnError) {
  std::vector<float> out(1);
  EXPECT_THROW(sim::launch(broadcast_read, dim3(1), dim3(2048), sim::global(out, "out")), sim::KernelError);
  EXPECT_THROW(sim::launch(broadcast_read, dim3(0), dim3(32), sim::global(out, "out")), sim::KernelError);
}

}  // namespace
