// The kernel behind fill_random.h: core/weights.cpp's random_weight on the device, one thread per element.
// Both GPU backends draw their random-weight models with it (cuda_opt then rounds each tensor to bf16), so the
// three backends start from the same numbers and can be compared layer by layer.
#include "cuda_common/fill_random.h"

#include <string>

#include "core/error.h"
#include "core/rng.h"
#include "cuda_common/cuda_check.h"

namespace qwen3 {

namespace {

constexpr int kThreads = 256;  // threads per block; any multiple of the warp size (32) works

// out[i] = r·a (+1 for norms), r = random_symmetric(seed, stream, i)   (core/weights.cpp's random_weight)
// out: [n]; one thread per out[i]
// __fmul_rn / __fadd_rn round each step on its own, as the host does (-ffp-contract=off): an FMA would round
// r·a + 1 once and change the last bit. random_symmetric itself is exact (see core/rng.h) either way.
__global__ void fill_random_kernel(float* out, int64_t n, uint64_t seed, uint64_t stream, float a, bool is_norm) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float x = __fmul_rn(random_symmetric(seed, stream, static_cast<uint64_t>(i)), a);
  out[i] = is_norm ? __fadd_rn(1.0f, x) : x;
}

}  // namespace

void launch_fill_random(float* out, int64_t n, uint64_t seed, uint64_t stream_index, float half_width, bool is_norm,
                        cudaStream_t s) {
  if (n == 0) return;
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 2147483647LL) {  // the grid's x dimension holds at most 2^31 - 1 blocks
    throw InputError("fill_random: " + std::to_string(n) + " outputs are too many for one 1-D grid");
  }
  fill_random_kernel<<<static_cast<unsigned int>(blocks), kThreads, 0, s>>>(out, n, seed, stream_index, half_width,
                                                                           is_norm);
  QWEN3_CUDA_CHECK_LAUNCH("fill_random");
}

}  // namespace qwen3
