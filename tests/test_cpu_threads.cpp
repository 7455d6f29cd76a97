// ref_cpu/threads.h: when the CPU reference shares an op among threads (only when each thread gets enough work),
// that the shared ops compute the same numbers as on one thread, and that a bad thread count is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#ifdef __linux__
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "core/error.h"
#include "core/tiny_model.h"
#include "ref_cpu/ops.h"
#include "ref_cpu/threads.h"
#include "tests/test_util.h"

using namespace qwen3;
using qwen3::test::random_vector;

namespace {

// Sets the thread count for one test and puts the previous one back.
class Threads : public ::testing::Test {
 protected:
  void TearDown() override { cpu::set_num_threads(saved_); }
  // false (and the test should skip) when this build has no OpenMP, so no count above 1 exists
  bool use(int n) {
    cpu::set_num_threads(n);
    return cpu::num_threads() == n;
  }
  int saved_ = cpu::num_threads();
};

double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    m = std::max(m, std::abs(double(a[i]) - b[i]));
    scale = std::max(scale, std::abs(double(b[i])));
  }
  return m / scale;
}

}  // namespace

TEST_F(Threads, ABadCountIsRefused) {
  EXPECT_THROW(cpu::set_num_threads(0), InputError);
  EXPECT_THROW(cpu::set_num_threads(-3), InputError);
  EXPECT_TRUE(use(1));
  EXPECT_EQ(cpu::num_threads(), 1);
}

TEST_F(Threads, ThreadsOnlyForWorkWorthSharing) {
  if (!use(2)) GTEST_SKIP() << "built without OpenMP";
  EXPECT_EQ(cpu::threads_worth(0), 1);
  EXPECT_EQ(cpu::threads_worth(cpu::kMinMaddsPerThread - 1), 1);
  EXPECT_EQ(cpu::threads_worth(2 * cpu::kMinMaddsPerThread - 1), 1);
  EXPECT_EQ(cpu::threads_worth(2 * cpu::kMinMaddsPerThread), 2);
  EXPECT_EQ(cpu::threads_worth(1000 * cpu::kMinMaddsPerThread), 2);  // never more than the setting
  EXPECT_EQ(cpu::threads_for(cpu::kMinMaddsPerThread - 1), 1);
  const int now = cpu::threads_for(1000 * cpu::kMinMaddsPerThread);  // at most the cores free now
  EXPECT_GE(now, 1);
  EXPECT_LE(now, 2);
  ASSERT_TRUE(use(1));
  EXPECT_EQ(cpu::threads_worth(1000 * cpu::kMinMaddsPerThread), 1);
  EXPECT_EQ(cpu::threads_for(1000 * cpu::kMinMaddsPerThread), 1);
}

// free_cores' rule: another process's runnable thread takes a core away; this process's own (the caller, OpenMP
// workers still spinning after a region) do not; never below 1 or above the cores.
TEST(FreeCores, Rule) {
  EXPECT_EQ(cpu::free_cores(2, 1, 1), 2);   // idle machine: only the caller runs
  EXPECT_EQ(cpu::free_cores(2, 2, 1), 1);   // one busy process beside it
  EXPECT_EQ(cpu::free_cores(2, 3, 3), 2);   // the caller and two spinning workers: all this process's
  EXPECT_EQ(cpu::free_cores(2, 9, 1), 1);   // an overloaded machine still leaves the caller
  EXPECT_EQ(cpu::free_cores(16, 5, 2), 13);
  EXPECT_EQ(cpu::free_cores(1, 1, 1), 1);
}

// With another process spinning beside this one, an op leaves that process's core alone (Linux only: elsewhere
// free_cores() is the cores this process may use).
TEST_F(Threads, ABusyNeighbourTakesACore) {
  const int all = cpu::free_cores();
  EXPECT_GE(all, 1);
#ifdef __linux__
  if (!use(64)) GTEST_SKIP() << "built without OpenMP";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    volatile uint64_t spins = 0;
    for (;;) spins = spins + 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // past free_cores' 10 ms sampling period
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const int now = cpu::threads_for(int64_t{1} << 40);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_GE(now, 1);
  EXPECT_LE(now, std::max(1, cores - 1)) << "a core is busy with another process";
#endif
}

// The tiny model's pass at 32 tokens (the 2-thread slowdown) opens no parallel region: every matrix
// product and every sequence's attention is below what one thread should do alone.
TEST_F(Threads, TheTinyModelRunsOnOneThread) {
  if (!use(4)) GTEST_SKIP() << "built without OpenMP";
  const ModelConfig c = tiny_config();
  const int64_t T = 32, H = c.hidden_size, I = c.intermediate_size, q = c.q_dim(), kv = c.kv_dim();
  for (const int64_t madds : {T * H * q, T * H * kv, T * q * H, T * H * I, T * I * H}) {
    EXPECT_EQ(cpu::threads_for(madds), 1) << madds;
  }
  EXPECT_EQ(cpu::threads_for(c.num_attention_heads * T * T * c.head_dim), 1);
}

TEST_F(Threads, ChunksCoverEveryIndexOnceOnAlignedBoundaries) {
  if (!use(3)) GTEST_SKIP() << "built without OpenMP";
  for (const int64_t n : {int64_t{1}, int64_t{63}, int64_t{64}, int64_t{1000}, int64_t{4096}}) {
    for (const int parts : {1, 2, 3}) {
      std::vector<std::atomic<int>> seen(n);
      std::atomic<int> calls{0};
      cpu::parallel_chunks(n, parts, 64, [&](int64_t begin, int64_t end) {
        EXPECT_EQ(begin % 64, 0) << n << " " << parts;
        EXPECT_LT(begin, end);
        for (int64_t i = begin; i < end; ++i) seen[i]++;
        calls++;
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[i].load(), 1) << "n " << n << " parts " << parts << " i " << i;
      EXPECT_LE(calls.load(), parts * cpu::kChunksPerThread);
      if (parts == 1) {
        EXPECT_EQ(calls.load(), 1);
      }
    }
  }
}

// A product big enough to be shared: the same numbers as on one thread (within the reordering of sums that a
// different blocking may bring), and as x Wᵀ computed directly.
TEST_F(Threads, SharedLinearEqualsOneThread) {
  const int64_t T = 33, in = 300, out = 2050;  // 20M multiply-adds: two threads' worth
  const auto x = random_vector(T * in, 7), W = random_vector(out * in, 8);
  std::vector<float> one(T * out), shared(T * out);
  ASSERT_TRUE(use(1));
  cpu::linear(x.data(), W.data(), T, in, out, one.data());
  if (!use(2)) GTEST_SKIP() << "built without OpenMP";
  ASSERT_EQ(cpu::threads_worth(T * in * out), 2);  // shared unless another process holds a core right now
  cpu::linear(x.data(), W.data(), T, in, out, shared.data());
  EXPECT_LT(max_rel_diff(shared, one), 1e-6);
  for (const int64_t t : {int64_t{0}, T - 1}) {
    for (const int64_t o : {int64_t{0}, int64_t{1023}, int64_t{1024}, out - 1}) {  // both sides of the cut
      double s = 0;
      for (int64_t i = 0; i < in; ++i) s += double(x[t * in + i]) * W[o * in + i];
      EXPECT_NEAR(shared[t * out + o], s, 1e-4) << t << " " << o;
    }
  }
}

TEST_F(Threads, SharedAttentionEqualsOneThread) {
  const int64_t NH = 4, NKV = 2, D = 64;
  const std::vector<int64_t> offsets = {0, 300, 301};  // a long sequence (shared by heads) and a one-token one
  const int64_t T = offsets.back(), B = 2;
  const auto q = random_vector(T * NH * D, 9), k = random_vector(T * NKV * D, 10), v = random_vector(T * NKV * D, 11);
  std::vector<float> one(T * NH * D), shared(T * NH * D);
  ASSERT_TRUE(use(1));
  cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, one.data());
  if (!use(2)) GTEST_SKIP() << "built without OpenMP";
  ASSERT_EQ(cpu::threads_worth(NH * 300 * 300 * D), 2);
  cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, shared.data());
  EXPECT_EQ(max_rel_diff(shared, one), 0.0);  // each head is computed by one thread, the same way
}

TEST(CpuBuild, SaysWhatItIs) {
  const std::string b = cpu::cpu_build();
  EXPECT_TRUE(b == "native" || b == "portable") << b;
  EXPECT_FALSE(cpu::eigen_instruction_sets().empty());
#if defined(__x86_64__)
  // a portable x86-64 build stays on SSE2; a native one uses what the compiler was told the CPU has
  if (b == "portable") {
    EXPECT_EQ(cpu::eigen_instruction_sets(), "SSE, SSE2");
  }
#endif
}
