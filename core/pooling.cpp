#include "core/pooling.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace qwen3 {

void l2_normalize(float* v, int64_t n) {
  double ss = 0.0;  // sum of squares in double: n can be 4096 and the values large
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * v[i];
  if (ss == 0.0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(ss));
  for (int64_t i = 0; i < n; ++i) v[i] *= inv;
}

void check_matryoshka_dim(int64_t dim, int64_t hidden) {
  if (dim < 32 || dim > hidden) {
    throw InputError("--dim " + std::to_string(dim) + " is outside 32.." + std::to_string(hidden) +
                     " (the model's hidden size)");
  }
}

std::vector<float> matryoshka_truncate(const float* e, int64_t hidden, int64_t dim) {
  check_matryoshka_dim(dim, hidden);
  std::vector<float> out(e, e + dim);
  l2_normalize(out.data(), dim);
  return out;
}

double cosine(const float* a, const float* b, int64_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < n; ++i) {
    ab += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return (aa == 0 || bb == 0) ? 0.0 : ab / std::sqrt(aa * bb);
}

double relative_error(const float* a, const float* b, int64_t n) {
  double dd = 0, bb = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    dd += d * d;
    bb += static_cast<double>(b[i]) * b[i];
  }
  return bb == 0 ? std::sqrt(dd) : std::sqrt(dd / bb);
}

}  // namespace qwen3
