// Exercise 10_online_softmax's checks: learner::flash_attention against ref_cpu's causal_attention (all scores of a
// row at once) with tiles of 1, 3, 16 and 64 keys, on sequence lengths that are and are not multiples of the tile
// (1, 5, 9, 17, 33, 64, 65), packed sequences, grouped and multi-query heads, the 0.6B model's heads, and scores in
// the hundreds, where a running maximum that grows must rescale what was summed before. And, as far as a test can
// see it, the memory: on a 1500-token sequence no single heap allocation may be the size of the sequence's len × len
// scores (the program's operator new records the largest block asked for while the learner's function runs; a
// buffer on the stack or allocated elsewhere goes unseen, so this check is a weak one).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "exercises/10_online_softmax/online_softmax.h"
#include "exercises/common/check.h"
#include "ref_cpu/ops.h"

namespace {
std::atomic<bool> watching{false};    // recording allocations (only around the learner's call)
std::atomic<size_t> largest_block{0};  // the largest block asked for while recording, in bytes

void record_allocation(size_t bytes) {
  if (!watching.load(std::memory_order_relaxed)) return;
  size_t seen = largest_block.load(std::memory_order_relaxed);
  while (bytes > seen && !largest_block.compare_exchange_weak(seen, bytes)) {
  }
}
}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer its allocator owns new and delete: it calls this hook for every heap allocation instead.
// (declared here: the sanitizer runtime exports it, but Debian's GCC ships no header for it)
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void on_malloc(const volatile void*, size_t bytes) { record_allocation(bytes); }
void on_free(const volatile void*) {}
[[maybe_unused]] const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}  // namespace
#else
// Every `new` of this program (vectors included) comes here: plain malloc, plus the record above.
void* operator new(std::size_t bytes) {
  record_allocation(bytes);
  if (void* p = std::malloc(bytes == 0 ? 1 : bytes)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace {

using qwen3::exercises::close_to;
using qwen3::exercises::random_values;

constexpr double kTol = 1e-5;

void check(const std::vector<int64_t>& lengths, int64_t NH, int64_t NKV, int64_t D, int64_t Bk, float scale,
           uint64_t seed, const std::string& what) {
  std::vector<int64_t> offsets{0};
  for (int64_t len : lengths) offsets.push_back(offsets.back() + len);
  const int64_t T = offsets.back(), B = static_cast<int64_t>(lengths.size());
  const std::vector<float> q = random_values(T * NH * D, seed, scale), k = random_values(T * NKV * D, seed + 1, scale);
  const std::vector<float> v = random_values(T * NKV * D, seed + 2);
  std::vector<float> want(T * NH * D), got(T * NH * D, 99.0f);
  qwen3::cpu::causal_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, want.data());
  largest_block = 0;
  watching = true;
  learner::flash_attention(q.data(), k.data(), v.data(), offsets.data(), B, NH, NKV, D, Bk, got.data());
  watching = false;
  EXPECT_TRUE(close_to(got, want, kTol, what + ", Bk = " + std::to_string(Bk)));
}

TEST(OnlineSoftmax, OneTokenAttendsToItself) {
  for (const int64_t Bk : {1, 3, 16, 64}) check({1}, 2, 1, 8, Bk, 1.0f, 1, "a single token: out = v");
}
TEST(OnlineSoftmax, OneKeyPerTile) { check({9}, 4, 2, 16, 1, 1.0f, 2, "9 tokens, every key its own tile"); }
TEST(OnlineSoftmax, LengthsNotMultiplesOfTheTile) {
  for (const int64_t Bk : {1, 3, 16, 64}) {
    check({5, 1, 9, 17}, 4, 2, 32, Bk, 1.0f, 3, "packed sequences of 5, 1, 9, 17 tokens");
  }
}
TEST(OnlineSoftmax, AroundOneTileOf64) {
  for (const int64_t Bk : {3, 16, 64}) check({33, 64, 65}, 2, 1, 16, Bk, 1.0f, 4, "33, 64 and 65 tokens");
}
TEST(OnlineSoftmax, ModelHeads) {
  check({12, 3}, 16, 8, 128, 16, 1.0f, 5, "12 and 3 tokens, 16 query / 8 KV heads, D = 128");
}
TEST(OnlineSoftmax, GroupsOfFourAndMultiQuery) {
  check({6, 4}, 8, 2, 32, 3, 1.0f, 6, "8 query heads over 2 KV heads");
  check({7}, 4, 1, 16, 3, 1.0f, 7, "4 query heads sharing one KV head");
}
TEST(OnlineSoftmax, LargeScoresAndAGrowingMaximum) {
  for (const int64_t Bk : {1, 3, 16, 64}) {
    check({20, 7}, 2, 1, 64, Bk, 12.0f, 8, "scores in the hundreds (the maximum grows from tile to tile)");
  }
}

}  // namespace

namespace {

TEST(OnlineSoftmax, NeverHoldsTheScoreMatrix) {
  // One head of D = 8 over 1500 tokens, tiles of 16. The sequence's len × len scores are 9 MB (4.5 MB for the
  // causal half); per-query state for every token at once (m, l, acc) is under 50 kB. Anything from 1 MB up is
  // a score matrix.
  check({1500}, 1, 1, 8, 16, 1.0f, 9, "1500 tokens, one head, D = 8");
  EXPECT_LT(largest_block.load(), size_t{1} << 20)
      << "while flash_attention ran, one allocation asked for " << largest_block.load()
      << " bytes: the scores of the whole sequence at once? Walk the keys in tiles of Bk, keeping only a running "
         "maximum, sum and output per query";
}

}  // namespace
