#include "ref_cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

// The ops share their work among threads themselves (ref_cpu/threads.h): Eigen's own GEMM threading stays off,
// so the two never compete for the same cores.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Dense>

#include "core/pooling.h"
#include "ref_cpu/op_table.h"
#include "ref_cpu/threads.h"

namespace qwen3::cpu {

// Row-major views over plain arrays: the layout torch uses, so indices read as in the model code.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatMap = Eigen::Map<RowMatrix>;
using ConstMatMap = Eigen::Map<const RowMatrix>;
// A [rows, cols] view whose rows are `stride` floats apart: one head's slice of [T, heads, D].
using StridedMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
using StridedOutMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// causal_attention's queries per block: small enough that the masked part computed anyway (the block's upper
// triangle) stays a few percent of the work, large enough for Eigen's GEMM to run at speed.
constexpr int64_t kQueryBlock = 128;

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
  ConstMatMap X(x, T, in);
  // y[:, j0:j1] = x W[j0:j1, :]ᵀ: the output's columns cut in blocks, one per thread when the product is large
  // enough to share (ref_cpu/threads.h); each block is one Eigen blocked GEMM.
  parallel_chunks(out, threads_for(T * in * out), 64, [&](int64_t j0, int64_t j1) {
    ConstMatMap Wj(W + j0 * in, j1 - j0, in);                       // seek to W[j0, :]
    StridedOutMap Yj(y + j0, T, j1 - j0, Eigen::OuterStride<>(out));  // y[:, j0:j1], rows `out` floats apart
    Yj.noalias() = X * Wj.transpose();
  });
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
  for (int64_t b = 0; b < B; ++b) {
    const int64_t start = offsets[b], len = offsets[b + 1] - offsets[b];
    // heads shared among threads when there is enough work (ref_cpu/threads.h): the causal halves of passes 1, 5
    const int threads = threads_for(NH * len * len * D);
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (int64_t h = 0; h < NH; ++h) {
      const int64_t g = h / group;  // the KV head this query head reads
      // seek to q[start, h, :], k[start, g, :], v[start, g, :]: [len, D] slices with row stride heads*D
      StridedMap Q(q + (start * NH + h) * D, len, D, Eigen::OuterStride<>(NH * D));
      StridedMap K(k + (start * NKV + g) * D, len, D, Eigen::OuterStride<>(NKV * D));
      StridedMap V(v + (start * NKV + g) * D, len, D, Eigen::OuterStride<>(NKV * D));
      StridedOutMap O(out + (start * NH + h) * D, len, D, Eigen::OuterStride<>(NH * D));
      // The causal mask lets query i see keys 0..i only, so the queries go in blocks of rows [i0, i0 + rows) that
      // need keys 0..i0 + rows - 1: about half the len×len scores are computed, not all of them.
      RowMatrix S(std::min(len, kQueryBlock), len);  // one block's scores
      for (int64_t i0 = 0; i0 < len; i0 += kQueryBlock) {
        const int64_t rows = std::min(kQueryBlock, len - i0), keys = i0 + rows;
        auto Sb = S.topLeftCorner(rows, keys);  // Sb[r, j] = S[i0 + r, j]
        // pass 1: scores S = Q Kᵀ / sqrt(D) for this block's queries and the keys they may see
        Sb.noalias() = (Q.middleRows(i0, rows) * scale) * K.topRows(keys).transpose();
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = i0 + r;                   // the query's position in its sequence
          auto row = Sb.row(r).head(i + 1).array();  // S[i, 0..i]: the keys it sees
          // pass 2: the row's maximum, for numerical stability
          const float m = row.maxCoeff();
          // pass 3: exponentials and their sum
          row = (row - m).exp();
          const float sum = row.sum();
          // pass 4: normalise into probabilities; the masked keys i < j < keys get probability 0
          row /= sum;
          Sb.row(r).tail(keys - i - 1).setZero();
        }
        // pass 5: weighted sum of values, O = P V, written to out[start + i0.., h, :]
        O.middleRows(i0, rows).noalias() = Sb * V.topRows(keys);
      }
    }
  }
}

void count_attention(const int64_t* offsets, int64_t B, int64_t NH, int64_t D, OpCounter& counter) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t len = offsets[b + 1] - offsets[b];
    // counted as the full len×len square per head (core/flops.h's count); passes 1 and 5 do about the causal half
    counter.attention_scores += NH * len * len * D;
    counter.attention_values += NH * len * len * D;
  }
}

void silu_mul(const float* g, const float* u, int64_t n, float* y) {
  ConstArrayMap G(g, n), U(u, n);
  // e^-g into an array of Eigen's own (aligned): every element but the last n mod (vector width) takes the same
  // vectorised exp whatever the alignment of g and y, so the same inputs always give the same bits
  const Eigen::ArrayXf e = (-G).exp();
  ArrayMap(y, n) = G / (1.0f + e) * U;  // y may alias g: each element reads only its own inputs
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
