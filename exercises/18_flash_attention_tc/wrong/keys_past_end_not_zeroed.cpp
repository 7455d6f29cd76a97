// mistake: the last key tile's keys and values past len are loaded from memory instead of zeros: the mask removes their scores, but P = 0 times a NaN or inf lying there is NaN (on the GPU: the next sequence's rows or unallocated memory); fill them with 0, as cp.async's src-size 0 does
#include <algorithm>
#include <cmath>
#include <vector>

#include "exercises/18_flash_attention_tc/flash_attention_tc.h"

namespace learner {

namespace {

// The running state of one query tile: per row the maximum m and the sum l of exponentials, and O [16, D] as D/8
// accumulator tiles.
struct RowState {
  float m[kTileRows], l[kTileRows];
  std::vector<TileC> o;
};

// Q's tile as mma A operands, one per k-step of 16 along D; rows past len are zero.
// q: [len, D] rows q_stride apart -> qa: D/16 tiles [16 rows][16 dims] bf16
void load_q_tile(const float* q, int64_t len, int64_t D, int64_t q_stride, int64_t q0, std::vector<TileA>& qa) {
  for (int64_t ks = 0; ks < D / 16; ++ks) {
    for (int r = 0; r < kTileRows; ++r) {
      for (int c = 0; c < 16; ++c) {
        qa[ks][r][c] = q0 + r < len ? to_bf16(q[(q0 + r) * q_stride + ks * 16 + c]) : uint16_t{0};
      }
    }
  }
}

// S = Q·K_tileᵀ     S[r][j] = Σ_d Q[q0 + r][d] · K[k0 + j][d]   (unscaled; keys past len give 0)
// s: two [16, 8] tiles (keys k0 .. k0+7 and k0+8 .. k0+15)
void scores(const std::vector<TileA>& qa, const float* k, int64_t len, int64_t D, int64_t kv_stride, int64_t k0,
            TensorCore& tc, TileC (&s)[2]) {
  for (int half = 0; half < 2; ++half) {
    s[half] = TileC{};
    for (int64_t ks = 0; ks < D / 16; ++ks) {
      TileB kt;  // Kᵀ: [16 dims][8 keys]
      for (int c = 0; c < 16; ++c) {
        for (int n = 0; n < 8; ++n) {
          const int64_t j = k0 + 8 * half + n;
          kt[c][n] = to_bf16(k[j * kv_stride + ks * 16 + c]);
        }
      }
      tc.mma(s[half], qa[ks], kt);
    }
  }
}

// The online softmax step of one key tile, row by row, in fp32:
//   x_j = S[r][j] / sqrt(D) (-inf above the diagonal: key k0+j > query q0+r),  m' = max(m, max_j x_j),
//   l = l·e^(m - m') + Σ_j e^(x_j - m'),  O[r] *= e^(m - m'),  P[r][j] = bf16(e^(x_j - m')),  m = m'
void online_softmax(const TileC (&s)[2], float scale, bool diagonal, RowState& st, TileA& p) {
  for (int r = 0; r < kTileRows; ++r) {
    float x[kTileKeys];
    float m_new = st.m[r];
    for (int j = 0; j < kTileKeys; ++j) {
      x[j] = diagonal && j > r ? -INFINITY : s[j / 8][r][j % 8] * scale;
      m_new = std::max(m_new, x[j]);
    }
    const float correction = std::exp(st.m[r] - m_new);  // 0 on the first tile (m = -inf)
    float sum = 0.0f;
    for (int j = 0; j < kTileKeys; ++j) {
      const float e = std::exp(x[j] - m_new);  // masked: e^-inf = 0
      sum += e;
      p[r][j] = to_bf16(e);  // the A operand of P·V: bf16, as the kernel packs it
    }
    st.l[r] = st.l[r] * correction + sum;  // l sums the fp32 exponentials
    for (TileC& o : st.o) {
      for (float& e : o[r]) e *= correction;
    }
    st.m[r] = m_new;
  }
}

// O += P·V_tile     O[r][d] += Σ_j P[r][j] · V[k0 + j][d]   (keys past len give 0)
void accumulate_values(const TileA& p, const float* v, int64_t len, int64_t kv_stride, int64_t k0, TensorCore& tc,
                       RowState& st) {
  for (size_t nt = 0; nt < st.o.size(); ++nt) {
    TileB vt;  // V: [16 keys][8 dims]
    for (int j = 0; j < kTileKeys; ++j) {
      for (int n = 0; n < 8; ++n) {
        vt[j][n] = to_bf16(v[(k0 + j) * kv_stride + static_cast<int64_t>(nt) * 8 + n]);
      }
    }
    tc.mma(st.o[nt], p, vt);
  }
}

}  // namespace

// per query tile: for each key tile up to the diagonal: S = Q·Kᵀ, mask, online softmax, O += P·V; out = O / l
// q: [len, D] rows q_stride apart, k, v: [len, D] rows kv_stride apart, out: [len, D] rows q_stride apart
void flash_attention_tc(const float* q, const float* k, const float* v, int64_t len, int64_t D, int64_t q_stride,
                        int64_t kv_stride, TensorCore& tc, float* out) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const int64_t tiles = (len + kTileRows - 1) / kTileRows;
  std::vector<TileA> qa(static_cast<size_t>(D / 16));
  RowState st{{}, {}, std::vector<TileC>(static_cast<size_t>(D / 8))};
  for (int64_t qt = 0; qt < tiles; ++qt) {
    const int64_t q0 = qt * kTileRows;
    load_q_tile(q, len, D, q_stride, q0, qa);
    std::fill(st.m, st.m + kTileRows, -INFINITY);
    std::fill(st.l, st.l + kTileRows, 0.0f);
    std::fill(st.o.begin(), st.o.end(), TileC{});
    for (int64_t kt = 0; kt <= qt; ++kt) {  // key tiles past the diagonal are all masked: never visited
      const int64_t k0 = kt * kTileKeys;
      TileC s[2];
      scores(qa, k, len, D, kv_stride, k0, tc, s);
      TileA p;
      online_softmax(s, scale, kt == qt, st, p);
      accumulate_values(p, v, len, kv_stride, k0, tc, st);
    }
    // normalise once, at the end; rows past len are not written
    for (int r = 0; r < kTileRows && q0 + r < len; ++r) {
      for (int64_t d = 0; d < D; ++d) out[(q0 + r) * q_stride + d] = st.o[d / 8][r][d % 8] / st.l[r];
    }
  }
}

}  // namespace learner
