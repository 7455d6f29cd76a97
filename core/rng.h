// A portable counter-based random number generator: value = f(seed, stream, index), no state.
// Only integer operations and exactly-rounded float arithmetic, so it gives the same bits on every machine,
// compiler and backend (CPU or GPU). The mixing function is SplitMix64's finaliser (Steele et al. 2014).
#pragma once
#include <cstdint>

#include "core/host_device.h"

namespace qwen3 {

// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
QWEN3_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// 64 random bits for element `index` of stream `stream` under `seed`.
QWEN3_HOST_DEVICE inline uint64_t random_bits(uint64_t seed, uint64_t stream, uint64_t index) {
  return mix64(mix64(seed ^ (stream * 0x9e3779b97f4a7c15ULL)) + index);
}

// Uniform in [-1, 1): 24 random bits give an exact float u in [0, 1); 2u - 1 is exact too.
QWEN3_HOST_DEVICE inline float random_symmetric(uint64_t seed, uint64_t stream, uint64_t index) {
  const float u = static_cast<float>(random_bits(seed, stream, index) >> 40) * (1.0f / 16777216.0f);
  return 2.0f * u - 1.0f;
}

}  // namespace qwen3
