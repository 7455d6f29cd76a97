// Random weights drawn on the device, shared by both GPU backends (cuda_naive and cuda_opt build their
// random-weight models with it): core/weights.h's random_weight, bit for bit, one thread per element, so that
// an 8B model of random weights never has to cross the PCIe bus.
// Plain C++ declaration (the kernel is in fill_random.cu), so host code compiled by g++ can call it.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

namespace qwen3 {

// out[i] = random_symmetric(seed, stream_index, i) · half_width, plus 1 for norm tensors: core/weights.h's
// random_weight, bit for bit, drawn in place on the device (half_width = random_half_width(spec), on the host).
// out: [n] (device memory). Queued on stream `s`; the launch is checked and named "fill_random".
void launch_fill_random(float* out, int64_t n, uint64_t seed, uint64_t stream_index, float half_width, bool is_norm,
                        cudaStream_t s);

}  // namespace qwen3
