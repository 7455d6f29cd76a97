// How the GEMM ladder decides that a step computed C correctly: the verdict from four sums over C, the same on
// the device (gemm_util.cu's compare, on the GPU's C) and on the host (compare_host, which
// tests/test_gemm_check.cpp uses to show on the CPU which mistakes the check catches). Plain C++: no CUDA here.
//
//   rel_l2   = ||C − ref||₂ / ||ref||₂                      the whole matrix
//   max_elem = max_i |C_i − ref_i| / rms(ref)               the worst element, on the matrix's own scale
//
// Both bounds are needed: a few hundred wrong elements (one tile that skipped a k-slice) barely move rel_l2 of a
// 4096 × 4096 C, but each of them is far off. A reference that is all zeros checks nothing and is an error; any
// NaN or infinity in C fails.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace qwen3::gemm {

struct GemmTolerance {
  double rel_l2;    // bound on ||C − ref||₂ / ||ref||₂
  double max_elem;  // bound on max_i |C_i − ref_i| / rms(ref)
};

// Why these values. Every step is compared with cuBLAS on the SAME inputs (fp32, or the same bf16 values) with
// fp32 accumulation and fp32 output; bf16 products are exact in fp32, so in both precisions the only legitimate
// difference is the order of the K additions. For a running fp32 sum of K products of values in [-1, 1) that
// is about u·K/7 absolute (u = 2⁻²⁴), i.e. ~3e-6 of rms(ref) = sqrt(K)/3 at K = 12288, the ladder's largest K,
// and a few times that for the worst of 10⁸ elements. The bounds leave a margin of 3-10× over that, and sit
// far below what real mistakes give (measured by tests/test_gemm_check.cpp at K = 12288): an fp16 accumulator
// (rel_l2 ~4e-3), an fp32 result rounded to bf16 (~2e-3), one 16-wide k-slice dropped from one 16×8 mma tile
// (max_elem ~0.1).
constexpr GemmTolerance kTolF32{1e-5, 1e-4};
constexpr GemmTolerance kTolBF16{1e-5, 1e-4};

struct GemmError {
  double rel_l2 = 0;       // ||c − ref||₂ / ||ref||₂ (NaN when c has a non-finite value or ref is all zeros)
  double max_elem = 0;     // max |c − ref| / rms(ref) over the finite elements (NaN when ref is all zeros)
  uint64_t nonfinite = 0;  // elements of c that are not finite
  bool ref_all_zero = false;
  bool passes(const GemmTolerance& t) const {
    return !ref_all_zero && nonfinite == 0 && rel_l2 <= t.rel_l2 && max_elem <= t.max_elem;
  }
};

// The verdict's figures from the four sums over n elements: Σ(c − ref)² and max|c − ref| over the finite
// elements of c, Σ ref², and the count of non-finite elements of c.
inline GemmError gemm_error_from_sums(double sum_diff2, double max_abs_diff, double sum_ref2, uint64_t nonfinite,
                                      size_t n) {
  GemmError e;
  e.nonfinite = nonfinite;
  e.ref_all_zero = n > 0 && sum_ref2 == 0;
  if (e.ref_all_zero) {
    e.rel_l2 = e.max_elem = NAN;
    return e;
  }
  if (n == 0) return e;  // nothing to compare: an empty C is trivially right
  const double rms = std::sqrt(sum_ref2 / static_cast<double>(n));
  e.rel_l2 = nonfinite > 0 ? NAN : std::sqrt(sum_diff2 / sum_ref2);
  e.max_elem = max_abs_diff / rms;
  return e;
}

// The same comparison on the host: c and ref of n elements each.
inline GemmError compare_host(const float* c, const float* ref, size_t n) {
  double sum_diff2 = 0, max_abs_diff = 0, sum_ref2 = 0;
  uint64_t nonfinite = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = ref[i];
    sum_ref2 += r * r;
    if (!std::isfinite(c[i])) {
      ++nonfinite;
      continue;
    }
    const double d = static_cast<double>(c[i]) - r;
    sum_diff2 += d * d;
    max_abs_diff = std::fmax(max_abs_diff, std::fabs(d));
  }
  return gemm_error_from_sums(sum_diff2, max_abs_diff, sum_ref2, nonfinite, n);
}

}  // namespace qwen3::gemm
