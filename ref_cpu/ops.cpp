#include "ref_cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <Eigen/Dense>

#include "core/pooling.h"
#include "ref_cpu/op_table.h"

namespace qwen3::cpu {

// Row-major views over plain arrays: the layout torch uses, so indices read as in the model code.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMatrix>;
using ConstMatMap = Eigen::Map<const RowMatrix>;
// A [rows, cols] view whose rows are `stride` floats apart: one head's slice of [T, heads, D].
using StridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

void embedding_gather(const int32_t* ids, int64_t T, const float* E, int64_t H, float* out) {
  for (int64_t t = 0; t < T; ++t) {
    // seek to E[ids[t], :] and copy the row
    std::memcpy(out + t * H, E + static_cast<int64_t>(ids[t]) * H, H * sizeof(float));
  }
}

void rms_norm(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * n;  // seek to x[r, :]
    float* yr = y + r * n;
    float ss = 0.0f;
    for (int64_t i = 0; i < n; ++i) ss += xr[i] * xr[i];
    const float inv_rms = 1.0f / std::sqrt(ss / static_cast<float>(n) + eps);
    for (int64_t i = 0; i < n; ++i) yr[i] = w[i] * (xr[i] * inv_rms);
  }
}

void linear(const float* x, const float* W, int64_t T, int64_t in, int64_t out, float* y, OpCounter* counter) {
  ConstMatMap X(x, T, in), Wm(W, out, in);
  MatMap Y(y, T, out);
  Y.noalias() = X * Wm.transpose();  // Eigen's blocked GEMM, multithreaded with OpenMP
  if (counter) counter->linear += T * in * out;
}

void apply_rope(float* x, const int32_t* positions, int64_t T, int64_t heads, int64_t D, double theta) {
  const int64_t half = D / 2;
  // inv_freq[i] = theta^(-2i/D), computed in fp32 exactly as Hugging Face's Qwen3RotaryEmbedding does
  // (theta ** (arange(0, D, 2) / D) in float32, then its reciprocal), so long positions round the same way.
  std::vector<float> inv_freq(half);
  for (int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(D);
    inv_freq[i] = 1.0f / std::pow(static_cast<float>(theta), exponent);
  }
  std::vector<float> cos_t(half), sin_t(half);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      const float angle = static_cast<float>(positions[t]) * inv_freq[i];  // θ = pos · inv_freq, fp32
      cos_t[i] = std::cos(angle);
      sin_t[i] = std::sin(angle);
    }
    for (int64_t h = 0; h < heads; ++h) {
      float* xh = x + (t * heads + h) * D;  // seek to x[t, h, :]
      for (int64_t i = 0; i < half; ++i) {
        const float x1 = xh[i], x2 = xh[i + half];
        xh[i] = x1 * cos_t[i] - x2 * sin_t[i];         // x·cos + rotate_half(x)·sin, first half
        xh[i + half] = x2 * cos_t[i] + x1 * sin_t[i];  // second half
      }
    }
  }
}

void causal_attention(const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B,
                      int64_t NH, int64_t NKV, int64_t D, float* out) {
  const int64_t group = NH / NKV;  // query heads per KV head
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets[b], len = offsets[b + 1] - offsets[b];
#pragma omp parallel for schedule(dynamic)
    for (int64_t h = 0; h < NH; ++h) {
      const int64_t g = h / group;  // the KV head this query head reads
      // seek to q[start, h, :], k[start, g, :], v[start, g, :]: [len, D] slices with row stride heads*D
      StridedMap Q(q + (start * NH + h) * D, len, D, Eigen::OuterStride<>(NH * D));
      StridedMap K(k + (start * NKV + g) * D, len, D, Eigen::OuterStride<>(NKV * D));
      StridedMap V(v + (start * NKV + g) * D, len, D, Eigen::OuterStride<>(NKV * D));
      // pass 1: scores S = Q Kᵀ / sqrt(D), then the causal mask: S[i, j] = -inf for j > i
      RowMatrix S = (Q * K.transpose()) * scale;
      for (int64_t i = 0; i < len; ++i)
        for (int64_t j = i + 1; j < len; ++j) S(i, j) = neg_inf;
      for (int64_t i = 0; i < len; ++i) {
        // pass 2: the row's maximum, for numerical stability
        const float m = S.row(i).head(i + 1).maxCoeff();
        // pass 3: exponentials and their sum
        float sum = 0.0f;
        for (int64_t j = 0; j <= i; ++j) sum += (S(i, j) = std::exp(S(i, j) - m));
        // pass 4: normalise into probabilities; masked entries (j > i) get probability 0
        for (int64_t j = 0; j < len; ++j) S(i, j) = j <= i ? S(i, j) / sum : 0.0f;
      }
      // pass 5: weighted sum of values, O = P V, written to out[start.., h, :]
      Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>> O(out + (start * NH + h) * D, len, D,
                                                       Eigen::OuterStride<>(NH * D));
      O.noalias() = S * V;
    }
  }
}

void count_attention(const int64_t* offsets, int64_t B, int64_t NH, int64_t D, OpCounter& counter) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = offsets[b + 1] - offsets[b];
    counter.attention_scores += NH * len * len * D;  // pass 1 of causal_attention: the full len×len square
    counter.attention_values += NH * len * len * D;  // pass 5: P V over the same square
  }
}

void silu_mul(const float* g, const float* u, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void add_inplace(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void last_token_pool(const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out) {
  for (int64_t b = 0; b < B; ++b) {
    const float* row = x + (offsets[b + 1] - 1) * H;  // seek to x[last token of b, :]
    std::copy(row, row + H, out + b * H);
    l2_normalize(out + b * H, H);
  }
}

OpTable reference_op_table() {
  OpTable t;
  t.rms_norm = rms_norm;
  t.apply_rope = apply_rope;
  t.causal_attention = causal_attention;
  t.silu_mul = silu_mul;
  t.last_token_pool = last_token_pool;
  return t;
}

}  // namespace qwen3::cpu
