// Exercise 18_flash_attention_tc — the one file you edit. Statement: exercises/18_flash_attention_tc/README.md.
// Check your answer: qwen3emb exercise check 18_flash_attention_tc
#include "exercises/18_flash_attention_tc/flash_attention_tc.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "exercises/common/todo.h"

namespace learner {

// per query tile of 16 rows: m = -inf, l = 0, O = 0; for each key tile up to the diagonal:
//   S = Q·Kᵀ (tc.mma),  x = S / sqrt(D) (-inf where key > query),  m' = max(m, rowmax x),
//   l = l·e^(m-m') + rowsum e^(x-m'),  O = O·e^(m-m') + bf16(e^(x-m'))·V (tc.mma),  m = m';   out = O / l
// q: [len, D] rows q_stride apart, k, v: [len, D] rows kv_stride apart, out: [len, D] rows q_stride apart
void flash_attention_tc(const float* q, const float* k, const float* v, int64_t len, int64_t D, int64_t q_stride,
                        int64_t kv_stride, TensorCore& tc, float* out) {
  // TODO: for each query tile qt (rows q0 = 16·qt .. q0+15; rows past len are zeros and are not written):
  //   1. Q's tile as D/16 TileA operands (to_bf16 of q; zero past len); m[r] = -inf, l[r] = 0, O = D/8 TileC zeros
  //   2. for each key tile kt = 0 .. qt (keys k0 = 16·kt .. k0+15; zero past len):
  //        S = Q·Kᵀ: two TileC (keys k0..k0+7, k0+8..k0+15), each summed over D/16 k-steps with
  //          tc.mma(S[half], Q[ks], Kᵀ[ks]) where Kᵀ[ks][c][n] = to_bf16(k[key n][16·ks + c])
  //        per row r: x_j = S[r][j] / sqrt(D), -inf if kt == qt and j > r (the diagonal tile only);
  //          m' = max(m[r], max_j x_j); rescale l[r] and O's row r by exp(m[r] - m');
  //          l[r] += Σ_j exp(x_j - m');  P[r][j] = to_bf16(exp(x_j - m'));  m[r] = m'
  //        O += P·V: tc.mma(O[nt], P, V[nt]) for each of the D/8 column tiles, V[nt][j][n] = to_bf16(v[k0+j][8·nt+n])
  //   3. out[q0 + r][d] = O[d/8][r][d%8] / l[r] for the rows r with q0 + r < len
  (void)q, (void)k, (void)v, (void)len, (void)D, (void)q_stride, (void)kv_stride, (void)tc, (void)out;
  qwen3::exercises::not_implemented("18_flash_attention_tc", "flash_attention_tc.cpp",
                                    "one query tile at a time: visit key tiles 0 .. the diagonal only, mask inside "
                                    "the diagonal tile, rescale l and O by exp(m - m') when a row's maximum grows");
}

}  // namespace learner
