// A CPU emulation of one warp-level GEMM step of the ladder — step 9 (cuda_opt/gemm/09_mma_sync_ldmatrix.cuh) —
// so that its index math can be checked without a GPU: cp.async's 16-byte chunks written into swizzled shared
// memory, ldmatrix.x4 and mma.sync.m16n8k16 with the fragment layouts of the PTX ISA ("Warp-level matrix load
// instruction: ldmatrix", "Matrix fragments for mma.m16n8k16"), the epilogue's stores, block by block in grouped
// order (tile_order.h). emulate_and_compare() runs it on random bf16 operands and compares C with a plain GEMM in
// double precision, and counts what the hardware would mind: ldmatrix phases with shared-memory bank conflicts
// (the 8 row addresses of one 8×8 matrix not in 8 different 16-byte bank groups) and unaligned row addresses.
//
// The index math is a parameter: a layout struct L with static swizzle, a_row, b_row and acc (KernelLayout<T>
// holds the kernel's own, from cuda_opt/gemm/09_layout.h). Used by tests/test_gemm_fragment_layout.cpp (the
// kernel's layout and known mistakes) and by exercise 17_mma_fragments (the learner's layout). The whole-tile form
// of mma_m16n8k16 (TileA, TileB, TileC) is what exercise 18_flash_attention_tc calls.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/safetensors.h"  // f32_to_bf16, bf16_to_f32
#include "cuda_opt/gemm/09_layout.h"
#include "cuda_opt/gemm/tile_order.h"

namespace qwen3::exercises::warp_mma {

using gemm::step09::RowChunk;
using gemm::step09::RowCol;

using Lanes4 = std::array<std::array<uint32_t, 4>, 32>;  // four 32-bit registers per lane
using Lanes2 = std::array<std::array<uint32_t, 2>, 32>;
using Acc = std::array<std::array<float, 4>, 32>;        // one m16n8 accumulator tile, per lane

inline uint32_t load32(const std::vector<uint8_t>& smem, uint32_t addr) {
  uint32_t v;
  std::memcpy(&v, smem.data() + addr, 4);
  return v;
}
inline float lo(uint32_t w) { return bf16_to_f32(static_cast<uint16_t>(w & 0xffff)); }  // the lower-indexed element
inline float hi(uint32_t w) { return bf16_to_f32(static_cast<uint16_t>(w >> 16)); }

// What an emulation found: elements of C that are wrong or not written exactly once, and ldmatrix addresses the
// hardware would make slow (bank conflicts) or undefined (not 16-byte aligned).
struct Findings {
  int wrong = 0, conflicts = 0, unaligned = 0;
  std::string first_wrong;
};

// ldmatrix.sync.aligned.m8n8.x4.shared.b16: lanes 8j .. 8j+7 give the addresses of rows 0-7 of matrix j; lane l
// receives in register j the elements (l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1) of matrix j.
// Also records whether each address is 16-byte aligned and whether the 8 rows of a matrix (one shared-memory
// phase) fall into 8 different 16-byte bank groups, i.e. are free of bank conflicts.
inline Lanes4 ldmatrix_x4(const std::vector<uint8_t>& smem, const std::array<uint32_t, 32>& addr, Findings& f) {
  for (int j = 0; j < 4; ++j) {
    std::set<uint32_t> groups;
    for (int i = 0; i < 8; ++i) {
      f.unaligned += addr[8 * j + i] % 16 != 0;
      groups.insert((addr[8 * j + i] / 16) % 8);
    }
    f.conflicts += groups.size() != 8;
  }
  Lanes4 out{};
  for (int l = 0; l < 32; ++l) {
    for (int j = 0; j < 4; ++j) out[l][j] = load32(smem, addr[8 * j + l / 4] + 4 * (l % 4));
  }
  return out;
}

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32, D = A·B + D, with g = l / 4, t = l % 4:
// a0 = A[g][2t, 2t+1], a1 = A[g+8][2t, 2t+1], a2 = A[g][2t+8, 2t+9], a3 = A[g+8][2t+8, 2t+9];
// b0 = B[2t, 2t+1][g], b1 = B[2t+8, 2t+9][g]; d0, d1 = D[g][2t, 2t+1], d2, d3 = D[g+8][2t, 2t+1].
inline void mma_m16n8k16(Acc& d, const Lanes4& a, const Lanes2& b) {
  float A[16][16], B[16][8];
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    const int rows[4] = {g, g + 8, g, g + 8}, cols[4] = {2 * t, 2 * t, 2 * t + 8, 2 * t + 8};
    for (int i = 0; i < 4; ++i) {
      A[rows[i]][cols[i]] = lo(a[l][i]);
      A[rows[i]][cols[i] + 1] = hi(a[l][i]);
    }
    for (int i = 0; i < 2; ++i) {
      B[2 * t + 8 * i][g] = lo(b[l][i]);
      B[2 * t + 8 * i + 1][g] = hi(b[l][i]);
    }
  }
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    for (int i = 0; i < 4; ++i) {
      const int r = g + (i / 2) * 8, c = 2 * t + i % 2;
      float s = 0.0f;
      for (int k = 0; k < 16; ++k) s += A[r][k] * B[k][c];
      d[l][i] += s;
    }
  }
}

// The same instruction for code that thinks in tiles rather than lanes (exercise 18_flash_attention_tc):
// A [16 m][16 k] and B [16 k][8 n] in bf16, D [16 m][8 n] in fp32. Packs each lane's registers exactly as the
// fragment layout above says (two bf16 per 32-bit register, the lower index in the low half), runs the lane-level
// emulation, and unpacks D the same way.
using TileA = std::array<std::array<uint16_t, 16>, 16>;
using TileB = std::array<std::array<uint16_t, 8>, 16>;
using TileC = std::array<std::array<float, 8>, 16>;

inline uint32_t pack(uint16_t lo_half, uint16_t hi_half) { return lo_half | static_cast<uint32_t>(hi_half) << 16; }

// D = A·B + D on whole tiles: D[m][n] += Σ_k A[m][k] · B[k][n], bf16 products summed in fp32
inline void mma_m16n8k16(TileC& d, const TileA& a, const TileB& b) {
  Lanes4 af;
  Lanes2 bf;
  Acc df;
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    af[l] = {pack(a[g][2 * t], a[g][2 * t + 1]), pack(a[g + 8][2 * t], a[g + 8][2 * t + 1]),
             pack(a[g][2 * t + 8], a[g][2 * t + 9]), pack(a[g + 8][2 * t + 8], a[g + 8][2 * t + 9])};
    bf[l] = {pack(b[2 * t][g], b[2 * t + 1][g]), pack(b[2 * t + 8][g], b[2 * t + 9][g])};
    df[l] = {d[g][2 * t], d[g][2 * t + 1], d[g + 8][2 * t], d[g + 8][2 * t + 1]};
  }
  mma_m16n8k16(df, af, bf);
  for (int l = 0; l < 32; ++l) {
    const int g = l / 4, t = l % 4;
    d[g][2 * t] = df[l][0];
    d[g][2 * t + 1] = df[l][1];
    d[g + 8][2 * t] = df[l][2];
    d[g + 8][2 * t + 1] = df[l][3];
  }
}

// The index math the emulator uses: the kernel's own (09_layout.h). A caller passes another layout L (usually
// derived from this one, replacing a function) to run the same emulation with other index math: a learner's
// (exercise 17_mma_fragments) or a plausible mistake (tests/test_gemm_fragment_layout.cpp).
template <class T>
struct KernelLayout {
  static uint32_t swizzle(int r, int c) { return gemm::step09::swizzle<T::kChunks>(r, c); }
  static RowChunk a_row(int wm, int mt, int ks, int lane) {
    return gemm::step09::a_fragment_row<T>(wm, mt, ks, lane);
  }
  static RowChunk b_row(int wn, int np, int ks, int lane) {
    return gemm::step09::b_fragment_row<T>(wn, np, ks, lane);
  }
  static RowCol acc(int wm, int wn, int mt, int nt, int half, int lane) {
    return gemm::step09::accumulator_position<T>(wm, wn, mt, nt, half, lane);
  }
};

// A [R, K] row-major bf16 operand.
struct Operand {
  int R, K;
  std::vector<uint16_t> v;
};
inline Operand random_operand(int R, int K, uint64_t stream) {
  Operand X{R, K, std::vector<uint16_t>(static_cast<size_t>(R) * K)};
  for (size_t i = 0; i < X.v.size(); ++i) X.v[i] = f32_to_bf16(random_symmetric(7, stream, i));
  return X;
}

// The kernel's load_slice: slice k0 of rows r0 .. r0 + kRows - 1 into the swizzled slice at byte `dst`, zeros
// outside X (what cp.async's src-size 0 and the guarded path both do).
template <class T, class L, int kRows>
void load_slice(std::vector<uint8_t>& smem, uint32_t dst, const Operand& X, int r0, int k0) {
  for (int p = 0; p < kRows * T::kChunks / T::kThreads; ++p) {
    for (int t = 0; t < T::kThreads; ++t) {
      const RowChunk rc = gemm::step09::copy_chunk<T>(t, p);
      for (int e = 0; e < 8; ++e) {
        const int row = r0 + rc.row, k = k0 + rc.chunk * 8 + e;
        const uint16_t v = row < X.R && k < X.K ? X.v[static_cast<size_t>(row) * X.K + k] : uint16_t{0};
        std::memcpy(smem.data() + dst + L::swizzle(rc.row, rc.chunk) + 2 * e, &v, 2);
      }
    }
  }
}

// C = A·Bᵀ as step 9's kernel computes it for tiling T, every block in turn; unwritten elements stay NaN.
// `writes` counts the epilogue's stores per element.
template <class T, class L = KernelLayout<T>>
std::vector<float> emulate_step09(const Operand& A, const Operand& B, std::vector<int>& writes, Findings& f) {
  const int M = A.R, N = B.R, K = A.K;
  std::vector<float> C(static_cast<size_t>(M) * N, std::nanf(""));
  writes.assign(C.size(), 0);
  const int tiles_m = (M + T::BM - 1) / T::BM, tiles_n = (N + T::BN - 1) / T::BN, slices = (K + T::BK - 1) / T::BK;
  std::vector<uint8_t> smem(T::kSmemBytes);
  for (int blk = 0; blk < tiles_m * tiles_n; ++blk) {
    const gemm::TileCoord tile = gemm::grouped_tile(static_cast<unsigned>(blk), tiles_m, tiles_n);
    const int m0 = tile.m * T::BM, n0 = tile.n * T::BN;
    auto load_stage = [&](int slice) {
      const uint32_t stage = static_cast<uint32_t>((slice % T::kStages) * T::kStageBytes);
      load_slice<T, L, T::BM>(smem, stage, A, m0, slice * T::BK);
      load_slice<T, L, T::BN>(smem, stage + T::kABytes, B, n0, slice * T::BK);
    };
    std::fill(smem.begin(), smem.end(), uint8_t{0xff});  // stale bytes: NaN-like bf16 if read before written
    for (int s = 0; s < T::kStages - 1 && s < slices; ++s) load_stage(s);
    std::vector<Acc> acc(static_cast<size_t>(T::kThreads / 32) * T::MT * T::NT, Acc{});
    auto acc_at = [&](int w, int mt, int nt) -> Acc& {
      return acc[(static_cast<size_t>(w) * T::MT + mt) * T::NT + nt];
    };
    for (int s = 0; s < slices; ++s) {
      if (s + T::kStages - 1 < slices) load_stage(s + T::kStages - 1);  // the refill, before slice s is computed
      const uint32_t a_base = static_cast<uint32_t>((s % T::kStages) * T::kStageBytes), b_base = a_base + T::kABytes;
      for (int w = 0; w < T::kThreads / 32; ++w) {
        const int wm = gemm::step09::warp_m_of<T>(w), wn = gemm::step09::warp_n_of<T>(w);
        for (int ks = 0; ks < T::BK / 16; ++ks) {
          std::vector<Lanes4> a(T::MT);
          std::vector<Lanes2> b(T::NT);
          std::array<uint32_t, 32> addr;
          for (int mt = 0; mt < T::MT; ++mt) {
            for (int l = 0; l < 32; ++l) {
              const RowChunk rc = L::a_row(wm, mt, ks, l);
              addr[l] = a_base + L::swizzle(rc.row, rc.chunk);
            }
            a[mt] = ldmatrix_x4(smem, addr, f);
          }
          for (int np = 0; np < T::NT / 2; ++np) {
            for (int l = 0; l < 32; ++l) {
              const RowChunk rc = L::b_row(wn, np, ks, l);
              addr[l] = b_base + L::swizzle(rc.row, rc.chunk);
            }
            const Lanes4 q = ldmatrix_x4(smem, addr, f);
            for (int l = 0; l < 32; ++l) {
              b[2 * np][l] = {q[l][0], q[l][1]};
              b[2 * np + 1][l] = {q[l][2], q[l][3]};
            }
          }
          for (int mt = 0; mt < T::MT; ++mt) {
            for (int nt = 0; nt < T::NT; ++nt) mma_m16n8k16(acc_at(w, mt, nt), a[mt], b[nt]);
          }
        }
      }
    }
    for (int w = 0; w < T::kThreads / 32; ++w) {  // the epilogue (StoreF32's guarded path)
      for (int mt = 0; mt < T::MT; ++mt) {
        for (int nt = 0; nt < T::NT; ++nt) {
          for (int half = 0; half < 2; ++half) {
            for (int l = 0; l < 32; ++l) {
              const RowCol p =
                  L::acc(gemm::step09::warp_m_of<T>(w), gemm::step09::warp_n_of<T>(w), mt, nt, half, l);
              const int m = m0 + p.row, n = n0 + p.col;
              if (m >= M || n >= N) continue;
              for (int e = 0; e < 2 && n + e < N; ++e) {
                C[static_cast<size_t>(m) * N + n + e] = acc_at(w, mt, nt)[l][2 * half + e];
                ++writes[static_cast<size_t>(m) * N + n + e];
              }
            }
          }
        }
      }
    }
  }
  return C;
}

// Emulates tiling T on A [M, K], B [N, K] and compares every element of C with a double-precision GEMM of the
// same bf16 inputs; each must be written exactly once.
template <class T, class L = KernelLayout<T>>
Findings emulate_and_compare(int M, int N, int K) {
  const Operand A = random_operand(M, K, 1), B = random_operand(N, K, 2);
  Findings f;
  std::vector<int> writes;
  const std::vector<float> C = emulate_step09<T, L>(A, B, writes, f);
  for (int m = 0; m < M; ++m) {
    for (int n = 0; n < N; ++n) {
      double ref = 0.0, mag = 0.0;
      for (int k = 0; k < K; ++k) {
        const double p = static_cast<double>(bf16_to_f32(A.v[static_cast<size_t>(m) * K + k])) *
                         bf16_to_f32(B.v[static_cast<size_t>(n) * K + k]);
        ref += p;
        mag += std::fabs(p);
      }
      const size_t i = static_cast<size_t>(m) * N + n;
      const bool ok = writes[i] == 1 && std::fabs(C[i] - ref) <= 1e-5 * mag + 1e-30;  // NaN fails too
      if (!ok && f.wrong++ == 0) {
        f.first_wrong = "C[" + std::to_string(m) + "][" + std::to_string(n) + "] = " + std::to_string(C[i]) +
                        " (written " + std::to_string(writes[i]) + " times), expected " + std::to_string(ref);
      }
    }
  }
  return f;
}

}  // namespace qwen3::exercises::warp_mma
