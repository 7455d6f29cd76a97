// The quantised GEMMs (quant_gemm/) compiled by nvcc from the sources the CPU simulator runs
// (tests/test_quant_gemm_sim.cpp), on a real GPU: against ref_cpu's linear over core/quant.cpp's dequantised weights
// on odd shapes and on one layer shape of the 0.6B model, Y poisoned with NaN first. Every test skips, with the
// reason, without a GPU (fails under QWEN3_GPU_STRICT=1).
#include <gtest/gtest.h>

#if !defined(QWEN3_HAVE_QUANT_GEMM_CUDA)
TEST(QuantGemmGpu, NotBuilt) { GTEST_SKIP() << "built without the quantised GEMMs under nvcc (qwen3_quant_gemm_cuda)"; }
#else

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/quant.h"
#include "cuda_common/device.h"
#include "cuda_opt/gemm/gemm_check.h"
#include "quant_gemm/quant_gemm_cuda.h"
#include "quant_gemm/repack.h"
#include "tests/gpu_test_util.h"
#include "tests/quant_gemm_problem.h"

namespace {

using namespace qwen3;

// Runs `type`'s kernel on M × N × K random operands; returns the verdict against the host reference.
gemm::GemmError run(GgmlType type, int M, int N, int K, uint64_t seed) {
  const test::QuantProblem p = test::make_quant_problem(type, M, N, K, seed);
  auto d_x = DeviceBuffer<uint16_t>::from_host(p.X, "X");
  auto d_y = DeviceBuffer<float>::from_host(std::vector<float>(p.want.size(), std::numeric_limits<float>::quiet_NaN()), "Y");
  if (type == GgmlType::Q8_0) {
    const quant_gemm::SplitQ8_0 split = quant_gemm::split_q8_0(p.Wbytes.data(), N, K);
    auto d_codes = DeviceBuffer<int8_t>::from_host(split.codes, "codes");
    auto d_scales = DeviceBuffer<float>::from_host(split.scales, "scales");
    quant_gemm::gemm_w8a16(d_x.data(), d_codes.data(), d_scales.data(), d_y.data(), M, N, K);
  } else {
    auto d_w = DeviceBuffer<uint8_t>::from_host(p.Wbytes, "Q4_K blocks");
    quant_gemm::gemm_w4a16_q4k(d_x.data(), d_w.data(), d_y.data(), M, N, K);
  }
  const std::vector<float> got = d_y.to_host("Y");
  return gemm::compare_host(got.data(), p.want.data(), got.size());
}

std::string describe(const gemm::GemmError& e, int M, int N, int K) {
  return "M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) + ": rel_l2 " +
         std::to_string(e.rel_l2) + ", worst element " + std::to_string(e.max_elem) + ", non-finite " +
         std::to_string(e.nonfinite);
}

}  // namespace

TEST(QuantGemmGpu, W8A16MatchesTheDequantisedReference) {
  QWEN3_REQUIRE_GPU();
  for (const auto& [M, N, K] : std::vector<std::array<int, 3>>{
           {1, 1, 32}, {1, 161, 96}, {8, 67, 544}, {9, 16, 1024}, {17, 33, 160}, {64, 3072, 1024}}) {
    const gemm::GemmError e = run(GgmlType::Q8_0, M, N, K, uint64_t(M * 7 + N));
    EXPECT_TRUE(e.passes(gemm::kTolF32)) << describe(e, M, N, K);
  }
}

TEST(QuantGemmGpu, W4A16Q4KMatchesTheDequantisedReference) {
  QWEN3_REQUIRE_GPU();
  for (const auto& [M, N, K] : std::vector<std::array<int, 3>>{
           {1, 1, 256}, {1, 161, 512}, {8, 67, 768}, {9, 16, 1024}, {17, 33, 256}, {64, 3072, 1024}}) {
    const gemm::GemmError e = run(GgmlType::Q4_K, M, N, K, uint64_t(M * 7 + N));
    EXPECT_TRUE(e.passes(gemm::kTolF32)) << describe(e, M, N, K);
  }
}

#endif
