// For GPU test suites (built only with CUDA): skip a test, with the reason, when there is no usable GPU.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "cuda_naive/device.h"

namespace qwen3::test {

// Why there is no usable GPU, or "" when there is one.
inline std::string no_gpu_reason() {
  std::string why;
  return cuda_device_available(&why) ? std::string() : why;
}

}  // namespace qwen3::test

// First line of every GPU test: skips it, with the reason, when there is no GPU.
#define QWEN3_REQUIRE_GPU()                                          \
  do {                                                               \
    const std::string qwen3_why = ::qwen3::test::no_gpu_reason();    \
    if (!qwen3_why.empty()) GTEST_SKIP() << qwen3_why;               \
  } while (0)
