// Helpers the exercises' tests share: random inputs drawn from a fixed seed, and one comparison that reports
// where the learner's output first differs from the reference (index, both values), so a failure says what to fix.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"

namespace qwen3::exercises {

// n values uniform in [-scale, scale), the same for the same seed.
inline std::vector<float> random_values(int64_t n, uint64_t seed, float scale = 1.0f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = scale * random_symmetric(seed, 0, static_cast<uint64_t>(i));
  return v;
}

// ||got - want|| / ||want|| <= rel_tol (and every value finite), else a failure naming the first element whose
// difference is larger than rel_tol · rms(want), with both values. what: "y for rows=7, n=1024".
inline ::testing::AssertionResult close_to(const std::vector<float>& got, const std::vector<float>& want,
                                           double rel_tol, const std::string& what) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << what << ": " << got.size() << " values, expected " << want.size();
  }
  double diff2 = 0, want2 = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) {
      return ::testing::AssertionFailure() << what << ": element " << i << " is " << got[i] << " (expected "
                                           << want[i] << ")";
    }
    diff2 += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    want2 += double(want[i]) * want[i];
  }
  const double rms = std::sqrt(want2 / std::max<size_t>(want.size(), 1));
  const double rel = want2 > 0 ? std::sqrt(diff2 / want2) : std::sqrt(diff2);
  if (rel <= rel_tol) return ::testing::AssertionSuccess();
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(double(got[i]) - want[i]) > rel_tol * std::max(rms, 1e-30)) {
      return ::testing::AssertionFailure() << what << ": ||got-want||/||want|| = " << rel << " > " << rel_tol
                                           << "; first differing element " << i << ": got " << got[i]
                                           << ", expected " << want[i];
    }
  }
  return ::testing::AssertionFailure() << what << ": ||got-want||/||want|| = " << rel << " > " << rel_tol;
}

}  // namespace qwen3::exercises
