// For GPU test suites (built only with CUDA): skip a test, with the reason, when there is no usable GPU.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "cuda_common/device.h"

namespace qwen3::test {

// Why there is no usable GPU, or "" when there is one.
inline std::string no_gpu_reason() {
  std::string why;
  return cuda_device_available(&why) ? std::string() : why;
}

// True when QWEN3_GPU_STRICT=1: a GPU test that cannot run (no device, a step or tiling this device cannot launch)
// then fails instead of skipping. scripts/gpu_check.sh sets it, so that on the GPU machine a skip never reads as
// a pass.
inline bool gpu_strict() {
  const char* v = std::getenv("QWEN3_GPU_STRICT");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace qwen3::test

// Skips the test with `why` (a streamable expression), or fails it under QWEN3_GPU_STRICT=1.
#define QWEN3_GPU_SKIP(why)                                                    \
  do {                                                                         \
    if (::qwen3::test::gpu_strict()) GTEST_FAIL() << why << " (QWEN3_GPU_STRICT=1)"; \
    GTEST_SKIP() << why;                                                       \
  } while (0)

// First line of every GPU test: skips it, with the reason, when there is no GPU (fails under QWEN3_GPU_STRICT=1).
#define QWEN3_REQUIRE_GPU()                                          \
  do {                                                               \
    const std::string qwen3_why = ::qwen3::test::no_gpu_reason();    \
    if (!qwen3_why.empty()) QWEN3_GPU_SKIP(qwen3_why);               \
  } while (0)
