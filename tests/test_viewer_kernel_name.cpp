// The viewer shows kernels on GPU tracks by their short name (profiler/kernel_name.h; the rule itself is tested in
// test_profiler), keeps the full name for tooltips and details, and lets the statistics filter search both.
#include <gtest/gtest.h>

#include <string>

#include "viewer/stats.h"
#include "viewer/trace_builder.h"

namespace {

using namespace qwen3::viewer;

const std::string kFull = "void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::SwiGLU>(int, int)";

Trace trace_with(const std::string& thread_name) {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("0", "7");
  b.thread_name(tr, thread_name);
  ArgList none;
  auto where = [] { return std::string("e"); };
  b.complete(tr, 0, 1000, kFull, "gemm", none, 0, where);
  b.complete(tr, 2000, 500, "Memcpy DtoH", "memcpy", none, 0, where);
  return b.finish();
}

const Slice& longest(const Trace& t) { return t.slices[0].dur == 1000 ? t.slices[0] : t.slices[1]; }

TEST(ViewerKernelName, GpuKernelsShowTheirShortName) {
  const Trace t = trace_with("stream 7");
  ASSERT_TRUE(t.tracks[0].gpu);
  EXPECT_EQ(t.name(longest(t)), kFull);
  EXPECT_EQ(t.label(longest(t)), "wgmma_tma_kernel<SwiGLU>");
  const Stats st = compute_stats(t, StatsOptions{});
  ASSERT_EQ(st.by_name.size(), 2u);
  const StatsRow& row = st.by_name[0];  // the longest first
  EXPECT_EQ(row.label, "wgmma_tma_kernel<SwiGLU>");
  EXPECT_NE(row.search.find("qwen3::gemm::step10"), std::string::npos) << row.search;  // the filter finds "gemm"
  EXPECT_EQ(st.by_name[1].label, "Memcpy DtoH");
  EXPECT_EQ(st.by_name[1].search, "Memcpy DtoH");
}

TEST(ViewerKernelName, NamesOnHostThreadsStayWhole) {
  const Trace t = trace_with("main thread");
  ASSERT_FALSE(t.tracks[0].gpu);
  EXPECT_EQ(t.label(longest(t)), kFull);
}

}  // namespace
