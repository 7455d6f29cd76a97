// Step 9: mma.sync with ldmatrix, a swizzled shared-memory layout and a 4-stage cp.async pipeline.
// The kernel and its idea are in 09_mma_sync_ldmatrix.cuh (shared with the optimised forward pass); this file is
// the ladder's launcher: fp32 output, stored as it is (StoreF32), with the default tiling or any of the tilings
// listed in 09_layout.h (step09::Tilings), which gemm_ladder --step9-tilings times side by side.
#include <cstdio>

#include "cuda_opt/gemm/09_mma_sync_ldmatrix.cuh"

namespace qwen3::gemm {

namespace {

using Launcher = void (*)(const bf16*, const bf16*, float*, int, int, int, cudaStream_t);

template <class T>
void launch_with(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s) {
  detail::check_shape("gemm_09_mma_sync_ldmatrix", M, N, K, 0);
  step09::run<T>(A, B, M, N, K, StoreF32{C, N, N % 2 == 0 && detail::aligned(C, 8)}, s, "gemm_09_mma_sync_ldmatrix");
}

// "128x256x32_w64x64_s4": block tile BM × BN × BK, warp tile, stages.
template <class T>
std::string name_of() {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%dx%dx%d_w%dx%d_s%d", T::BM, T::BN, T::BK, T::WM, T::WN, T::kStages);
  return buf;
}

struct Entry {
  Step9Tiling tiling;
  Launcher launch;
};
template <class... Ts>
std::vector<Entry> entries(step09::TilingList<Ts...>) {
  return {Entry{{name_of<Ts>(), static_cast<size_t>(Ts::kSmemBytes)}, &launch_with<Ts>}...};
}
const std::vector<Entry>& table() {
  static const std::vector<Entry> t = entries(step09::Tilings{});
  return t;
}

}  // namespace

void gemm_09_mma_sync_ldmatrix(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s) {
  launch_with<step09::Tile>(A, B, C, M, N, K, s);
}

std::vector<Step9Tiling> gemm_09_tilings() {
  std::vector<Step9Tiling> out;
  for (const Entry& e : table()) out.push_back(e.tiling);
  return out;
}

void gemm_09_mma_sync_ldmatrix_tiling(int tiling, const bf16* A, const bf16* B, float* C, int M, int N, int K,
                                      cudaStream_t s) {
  const std::vector<Entry>& t = table();
  if (tiling < 0 || tiling >= static_cast<int>(t.size())) {
    throw InputError("gemm_09_mma_sync_ldmatrix: no tiling " + std::to_string(tiling) + " (there are " +
                     std::to_string(t.size()) + ")");
  }
  t[static_cast<size_t>(tiling)].launch(A, B, C, M, N, K, s);
}

}  // namespace qwen3::gemm
