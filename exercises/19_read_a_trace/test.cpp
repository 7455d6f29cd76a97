// Exercise 19_read_a_trace's checks: each answer of learner::answers() against the statistic the project itself
// computes from the committed trace: the trace is opened with the viewer's loader (viewer/trace_loader.h) and
// summed with the viewer's statistics (viewer/stats.h), whose basis — the GPU kernels, copies and fills — is also
// the profiler's summary's (profiler/summary.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "exercises/19_read_a_trace/answers.h"
#include "viewer/stats.h"
#include "viewer/trace_loader.h"

namespace {

using qwen3::viewer::Ns;

const char* const kTrace = QWEN3_SOURCE_DIR "/docs/results/raw/trace_opt_8b_800.json.gz";

// What the questions ask, computed from the trace.
struct Truth {
  std::vector<std::string> kernel_names, kernel_labels;  // every by-name row of the GPU work, largest total first
  double gpu_busy_us = 0;                                // Σ durations of the GPU work
  double gemm_share_percent = 0;
  int64_t kernels = 0, layers = 0;                       // kernel slices; attention kernels (one per layer)
  double gpu_idle_us = 0;                                // kernel span minus the time covered by some kernel
  double gpu_span_us = 0;                                // first kernel start to last kernel end
};

const Truth& truth() {
  static const Truth t = [] {
    Truth r;
    const qwen3::viewer::Trace trace = qwen3::viewer::load_trace(kTrace);
    const qwen3::viewer::Stats stats = qwen3::viewer::compute_stats(trace);
    for (const qwen3::viewer::StatsRow& row : stats.by_name) {
      r.kernel_names.emplace_back(trace.str(row.names.at(0)));
      r.kernel_labels.emplace_back(trace.label_of(row.names.at(0)));
    }
    r.gpu_busy_us = double(stats.basis_total) / 1e3;
    for (const qwen3::viewer::StatsRow& row : stats.by_category) {
      if (row.label == "gemm") r.gemm_share_percent = 100 * row.share;
      if (row.label == "attention") r.layers = row.calls;
    }
    // The kernels (the GPU work but the copies), in order of start: their span and the union of their intervals.
    std::vector<std::pair<Ns, Ns>> kernels;
    for (const qwen3::viewer::Slice& s : trace.slices) {
      if (trace.is_basis(s) && trace.category(s) != "memcpy") kernels.emplace_back(s.start, s.end());
    }
    std::sort(kernels.begin(), kernels.end());
    r.kernels = static_cast<int64_t>(kernels.size());
    Ns covered = 0, reach = kernels.empty() ? 0 : kernels.front().first, last_end = reach;
    for (const auto& [start, end] : kernels) {
      const Ns from = std::max(start, reach);
      if (end > from) covered += end - from;
      reach = std::max(reach, end), last_end = std::max(last_end, end);
    }
    if (!kernels.empty()) r.gpu_span_us = double(last_end - kernels.front().first) / 1e3;
    r.gpu_idle_us = r.gpu_span_us - double(covered) / 1e3;
    return r;
  }();
  return t;
}

const learner::TraceAnswers& given() {
  static const learner::TraceAnswers a = learner::answers();
  return a;
}

// |answer - truth| <= tol, else a failure that says whether the answer is too high or too low (not the truth:
// the exercise is to read it off the trace).
::testing::AssertionResult within(double answer, double want, double tol, const char* what) {
  if (std::isfinite(answer) && std::abs(answer - want) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << answer << " is "
                                       << (answer > want ? "too high" : "too low") << " (allowed error " << tol
                                       << ")";
}

TEST(ReadATrace, TheTraceIsWhatTheQuestionsAreAbout) {
  const Truth& t = truth();
  ASSERT_FALSE(t.kernel_names.empty()) << kTrace << " holds no GPU work";
  ASSERT_EQ(t.layers, 36) << "the 8B model has 36 layers, one attention kernel each";
  ASSERT_GT(t.gpu_idle_us, 0);
}

TEST(ReadATrace, Q1TopKernel) {
  const Truth& t = truth();
  const std::string& a = given().top_kernel;
  ASSERT_FALSE(a.empty()) << "Q1: no kernel named";
  std::vector<size_t> matches;
  for (size_t i = 0; i < t.kernel_names.size(); ++i) {
    if (t.kernel_labels[i] == a || t.kernel_names[i].find(a) != std::string::npos) matches.push_back(i);
  }
  ASSERT_FALSE(matches.empty()) << "Q1: \"" << a << "\" is not (part of) the name of any GPU kernel or copy in the "
                                << "trace (host ranges and API calls such as \"forward\" or \"cudaGraphLaunch\" are "
                                << "not GPU work)";
  ASSERT_EQ(matches.size(), 1u) << "Q1: \"" << a << "\" is part of " << matches.size()
                                << " kernels' names; name one of them";
  EXPECT_EQ(matches[0], 0u) << "Q1: " << t.kernel_labels[matches[0]] << " is the kernel with rank "
                            << matches[0] + 1 << " by summed time, not the first";
}

TEST(ReadATrace, Q2GpuBusyTime) {
  const Truth& t = truth();
  EXPECT_TRUE(within(given().gpu_busy_us, t.gpu_busy_us, 0.005 * t.gpu_busy_us, "Q2: the GPU busy time (µs)"))
      << "Add up the durations of the GPU work only (kernels and copies): not the host's \"forward\" range (the "
      << "wall time the CPU saw), and no host range or API call (cudaMemcpyAsync, cudaGraphLaunch) either";
}

TEST(ReadATrace, Q3GemmShare) {
  EXPECT_TRUE(within(given().gemm_share_percent, truth().gemm_share_percent, 0.5, "Q3: the gemm share (%)"))
      << "The gemm category's summed time over all GPU work's summed time, in percent (a share of time, not of "
      << "calls)";
}

TEST(ReadATrace, Q4KernelsPerLayer) {
  const Truth& t = truth();
  EXPECT_TRUE(within(given().kernels_per_layer, double(t.kernels / t.layers), 0, "Q4: the kernels per layer"))
      << "Count the kernels (not the copies) and the layers (one attention kernel each); a few kernels run "
      << "outside any layer (the embedding gather, the final norm)";
}

TEST(ReadATrace, Q5GpuIdleTime) {
  const Truth& t = truth();
  EXPECT_TRUE(within(given().gpu_idle_us, t.gpu_idle_us, std::max(0.05 * t.gpu_idle_us, 1.0),
                     "Q5: the GPU idle time (µs)"))
      << "From the first kernel's start to the last kernel's end, the time in which no kernel runs; kernels "
      << "replayed from a graph may start a hair before the previous one ends, so subtracting the summed "
      << "durations from the span counts those overlaps twice";
}

}  // namespace
