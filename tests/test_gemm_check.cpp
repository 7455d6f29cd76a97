// The GEMM ladder's check (cuda_opt/gemm/gemm_check.h), shown on the CPU to do its job: it passes a correct GEMM
// that sums in another order, and fails the mistakes a tensor-core kernel can make while staying close to the
// answer, at the ladder's largest K (12288, the 8B down_proj). The check used before (||C − ref|| / ||ref|| ≤ 1e-2
// alone) let all three mistakes through; each case below says so, then that the new check does not.
// No GPU needed: the kernels' arithmetic is emulated on the host with the same bf16 inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/rng.h"
#include "core/safetensors.h"
#include "cuda_opt/gemm/gemm_check.h"

using namespace qwen3;
using namespace qwen3::gemm;

namespace {

// M × N outputs, K = 12288; an mma.sync tile is 16 × 8 outputs and reads k in slices of 16.
constexpr int M = 32, N = 64, K = 12288, kSlice = 16;
constexpr double kOldTolerance = 1e-2;  // the ladder's bf16 bound before gemm_check.h

// x rounded to nearest (ties to even) with `bits` significant bits: 11 for fp16, 8 for bf16 (normal range only,
// which is all these sums reach).
float round_to_bits(float x, int bits) {
  if (x == 0 || !std::isfinite(x)) return x;
  int e = 0;
  const double m = std::frexp(static_cast<double>(x), &e);  // x = m · 2^e, |m| in [0.5, 1)
  return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(m, bits)), e - bits));
}

// How the inputs are accumulated.
enum class Accumulate {
  kFp32InOrder,      // a running fp32 sum, k ascending (the reference: what cuBLAS does up to the order)
  kFp32SliceSums,    // each 16-wide k-slice summed first, slices added in fp32 (a correct kernel, another order)
  kFp32SplitK,       // two halves of k summed apart, then added (a correct split-K kernel)
  kFp16,             // mma.sync's .f16 accumulator: each k16 step adds its 16 products and rounds to fp16
  kFp32ThenBf16Out,  // correct fp32 sum, but the output rounded to bf16
};

struct Gemm {
  std::vector<float> A, B;  // [M, K], [N, K], values exactly representable in bf16

  Gemm() : A(static_cast<size_t>(M) * K), B(static_cast<size_t>(N) * K) {
    for (size_t i = 0; i < A.size(); ++i) A[i] = bf16_to_f32(f32_to_bf16(random_symmetric(7, 0, i)));
    for (size_t i = 0; i < B.size(); ++i) B[i] = bf16_to_f32(f32_to_bf16(random_symmetric(7, 1, i)));
  }

  // C[m][n] = Σ_k A[m][k] · B[n][k], accumulated as `how` says; `drop_slice` >= 0 leaves that k-slice out of the
  // first 16 × 8 tile (rows 0-15, columns 0-7), as a kernel with a wrong loop bound or barrier in one warp would.
  std::vector<float> run(Accumulate how, int drop_slice = -1) const {
    std::vector<float> C(static_cast<size_t>(M) * N);
    for (int m = 0; m < M; ++m) {
      for (int n = 0; n < N; ++n) {
        const float* a = &A[static_cast<size_t>(m) * K];
        const float* b = &B[static_cast<size_t>(n) * K];
        const bool in_tile = m < 16 && n < 8;
        float acc = 0, half_acc = 0;
        for (int k0 = 0; k0 < K; k0 += kSlice) {
          if (in_tile && k0 / kSlice == drop_slice) continue;
          float slice = 0;
          for (int k = k0; k < k0 + kSlice; ++k) {
            const float p = a[k] * b[k];  // exact: two 8-bit significands
            switch (how) {
              case Accumulate::kFp32InOrder:
              case Accumulate::kFp32ThenBf16Out: acc += p; break;
              case Accumulate::kFp32SliceSums:
              case Accumulate::kFp16: slice += p; break;
              case Accumulate::kFp32SplitK: (k < K / 2 ? acc : half_acc) += p; break;
            }
          }
          acc = how == Accumulate::kFp16 ? round_to_bits(acc + slice, 11) : acc + slice;
        }
        acc += half_acc;
        C[static_cast<size_t>(m) * N + n] = how == Accumulate::kFp32ThenBf16Out ? round_to_bits(acc, 8) : acc;
      }
    }
    return C;
  }
};

const Gemm& inputs() {
  static const Gemm g;
  return g;
}
const std::vector<float>& reference() {
  static const std::vector<float> ref = inputs().run(Accumulate::kFp32InOrder);
  return ref;
}

GemmError check(const std::vector<float>& c) { return compare_host(c.data(), reference().data(), c.size()); }

}  // namespace

TEST(GemmCheck, CorrectKernelsSummingInAnotherOrderPass) {
  for (const Accumulate how : {Accumulate::kFp32SliceSums, Accumulate::kFp32SplitK}) {
    const GemmError e = check(inputs().run(how));
    EXPECT_TRUE(e.passes(kTolBF16)) << "rel_l2 " << e.rel_l2 << ", worst element " << e.max_elem;
    // an order of magnitude under the bounds: the margin the bounds' comment promises
    EXPECT_LT(e.rel_l2, kTolBF16.rel_l2 / 3);
    EXPECT_LT(e.max_elem, kTolBF16.max_elem / 3);
  }
}

TEST(GemmCheck, Fp16AccumulatorFails) {
  const GemmError e = check(inputs().run(Accumulate::kFp16));
  EXPECT_LE(e.rel_l2, kOldTolerance) << "the old check would have caught it: this case shows nothing";
  EXPECT_FALSE(e.passes(kTolBF16)) << "rel_l2 " << e.rel_l2 << ", worst element " << e.max_elem;
  EXPECT_GT(e.rel_l2, 10 * kTolBF16.rel_l2);
}

TEST(GemmCheck, Bf16RoundedOutputFails) {
  const GemmError e = check(inputs().run(Accumulate::kFp32ThenBf16Out));
  EXPECT_LE(e.rel_l2, kOldTolerance) << "the old check would have caught it: this case shows nothing";
  EXPECT_FALSE(e.passes(kTolBF16)) << "rel_l2 " << e.rel_l2 << ", worst element " << e.max_elem;
  EXPECT_GT(e.rel_l2, 10 * kTolBF16.rel_l2);
}

TEST(GemmCheck, OneDroppedKSliceInOneTileFails) {
  // 128 of 2048 outputs miss 16 of 12288 products each: the whole-matrix norm barely moves, the elements do.
  const GemmError e = check(inputs().run(Accumulate::kFp32InOrder, /*drop_slice=*/K / kSlice / 3));
  EXPECT_LE(e.rel_l2, kOldTolerance) << "the old check would have caught it: this case shows nothing";
  EXPECT_FALSE(e.passes(kTolBF16)) << "rel_l2 " << e.rel_l2 << ", worst element " << e.max_elem;
  EXPECT_GT(e.max_elem, 10 * kTolBF16.max_elem);
}

TEST(GemmCheck, NonFiniteOutputsAndAllZeroReferencesFail) {
  std::vector<float> c = reference();
  c[5] = std::numeric_limits<float>::quiet_NaN();  // an element a kernel forgot to write (C is poisoned with NaN)
  GemmError e = check(c);
  EXPECT_EQ(e.nonfinite, 1u);
  EXPECT_FALSE(e.passes(kTolBF16));
  c[5] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(check(c).passes(kTolBF16));

  // a reference of zeros (a cuBLAS call that never ran, inputs never filled) checks nothing: an error, not a pass
  const std::vector<float> zeros(64, 0.0f);
  e = compare_host(zeros.data(), zeros.data(), zeros.size());
  EXPECT_TRUE(e.ref_all_zero);
  EXPECT_FALSE(e.passes(kTolBF16));
  EXPECT_FALSE(e.passes(kTolF32));

  // an empty C (M or N of 0): nothing to compare, trivially right
  EXPECT_TRUE(compare_host(nullptr, nullptr, 0).passes(kTolBF16));
}

TEST(GemmCheck, TheSameResultPassesExactly) {
  const GemmError e = check(reference());
  EXPECT_EQ(e.rel_l2, 0.0);
  EXPECT_EQ(e.max_elem, 0.0);
  EXPECT_TRUE(e.passes(kTolF32));
}
