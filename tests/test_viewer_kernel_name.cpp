// Short kernel names (viewer/kernel_name.h): what the timeline and the statistics show for a demangled
// signature, and that every other kind of name is left as it is.
#include <gtest/gtest.h>

#include <string>

#include "viewer/kernel_name.h"
#include "viewer/stats.h"
#include "viewer/trace_builder.h"

namespace {

using namespace qwen3::viewer;

TEST(ViewerKernelName, SignaturesLoseReturnTypeQualifiersAndParameters) {
  // as CUPTI recorded cuda_opt's kernels on the H100 (docs/results/raw/trace_opt_8b_800.json.gz)
  EXPECT_EQ(short_kernel_name("void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::AddF32>(CUtensorMap_st, "
                              "CUtensorMap_st, int, int, int, qwen3::cuda_opt::AddF32)"),
            "wgmma_tma_kernel<AddF32>");
  EXPECT_EQ(short_kernel_name("void qwen3::cuda_opt::(anonymous namespace)::flash_attention_kernel<128>(__nv_bfloat16 "
                              "const*, long, __nv_bfloat16 const*, long, int const*, int, int, float, __nv_bfloat16*)"),
            "flash_attention_kernel<128>");
  EXPECT_EQ(short_kernel_name("qwen3::cuda_opt::(anonymous namespace)::final_norm_pool_kernel(float const*, int const*, "
                              "long, float const*, float, float*)"),
            "final_norm_pool_kernel");
  // PyTorch's: nested template arguments with spaces, qualifiers inside them
  EXPECT_EQ(short_kernel_name("void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, "
                              "at::detail::Array<char*, 1> >(int, at::native::FillFunctor<float>, "
                              "at::detail::Array<char*, 1>)"),
            "vectorized_elementwise_kernel<4, FillFunctor<float>, Array<char*, 1> >");
}

TEST(ViewerKernelName, OtherNamesStayAsTheyAre) {
  for (const char* name : {"forward (CUDA graph replay)", "aten::linear", "layer 3 / attention / q_proj",
                           "ampere_bf16_s16816gemm_bf16_128x256_ldg8_f2f_stages_64x3_tn", "Memcpy HtoD", "",
                           "cudaLaunchKernel", "rms_norm (x)", "a::b(", "operator>(int)"}) {
    EXPECT_EQ(short_kernel_name(name), name);
  }
}

// The trace shows the short name, keeps the full one; the statistics row is labelled with the short name and
// the filter still finds it by a namespace of its full name.
TEST(ViewerKernelName, TraceAndStatisticsUseTheShortName) {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("0", "7");
  b.thread_name(tr, "stream 7");
  ArgList none;
  auto where = [] { return std::string("e"); };
  const std::string full = "void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::SwiGLU>(int, int)";
  b.complete(tr, 0, 1000, full, "gemm", none, 0, where);
  b.complete(tr, 2000, 500, "Memcpy DtoH", "memcpy", none, 0, where);
  const Trace t = b.finish();
  const Slice& kernel = t.slices[0].dur == 1000 ? t.slices[0] : t.slices[1];
  EXPECT_EQ(t.name(kernel), full);
  EXPECT_EQ(t.label(kernel), "wgmma_tma_kernel<SwiGLU>");
  const Stats st = compute_stats(t, StatsOptions{});
  ASSERT_EQ(st.by_name.size(), 2u);
  const StatsRow& row = st.by_name[0];  // the longest first
  EXPECT_EQ(row.label, "wgmma_tma_kernel<SwiGLU>");
  EXPECT_NE(row.search.find("qwen3::gemm::step10"), std::string::npos) << row.search;
  EXPECT_EQ(st.by_name[1].search, "Memcpy DtoH");
}

}  // namespace
