// Statistics (sums, mean, median, min, max, standard deviation, share of GPU time or of the ops' time),
// compare mode's join, the measured interval's busy fractions, the name filter and the open dialog's
// folder listing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.h"
#include "test_util.h"
#include "viewer/compare.h"
#include "viewer/dir_listing.h"
#include "viewer/interval.h"
#include "viewer/name_filter.h"
#include "viewer/stats.h"
#include "viewer/trace_loader.h"

namespace qwen3::viewer {
namespace {

// A host thread with nested ranges and a GPU stream with kernels (times in us):
//   gemm_a 10, 20, 30, 40 (at 100, 200, 300, 400); attn 5, 7, 9 (at 150, 250, 350); copy 4 (at 450).
std::string gpu_trace_json(bool faster_gemm) {
  std::string k = faster_gemm ? R"(
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":100,"dur":5},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":200,"dur":10},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":300,"dur":15},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":400,"dur":20},
{"ph":"X","name":"only_b","cat":"elementwise","pid":2,"tid":7,"ts":460,"dur":3},)"
                              : R"(
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":100,"dur":10},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":200,"dur":20},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":300,"dur":30},
{"ph":"X","name":"gemm_a","cat":"gemm","pid":2,"tid":7,"ts":400,"dur":40},
{"ph":"X","name":"copy","cat":"memcpy","pid":2,"tid":7,"ts":450,"dur":4},)";
  return R"({"traceEvents":[
{"ph":"M","name":"process_name","pid":1,"args":{"name":"host"}},
{"ph":"M","name":"process_name","pid":2,"args":{"name":"GPU 0"}},
{"ph":"M","name":"thread_name","pid":2,"tid":7,"args":{"name":"stream 7"}},
{"ph":"X","name":"forward","cat":"host","pid":1,"tid":1,"ts":90,"dur":400},)" +
         k + R"(
{"ph":"X","name":"attn","cat":"attention","pid":2,"tid":7,"ts":150,"dur":5},
{"ph":"X","name":"attn","cat":"attention","pid":2,"tid":7,"ts":250,"dur":7},
{"ph":"X","name":"attn","cat":"attention","pid":2,"tid":7,"ts":350,"dur":9}
]})";
}

// A CPU-backend trace: no GPU track, the leaf ranges are the ops.
const char* kCpuTrace = R"({"traceEvents":[
{"ph":"X","name":"forward","cat":"host","pid":1,"tid":1,"ts":0,"dur":100},
{"ph":"X","name":"layer 0","cat":"host","pid":1,"tid":1,"ts":0,"dur":45},
{"ph":"X","name":"layer 0 / attention / q_proj","cat":"gemm","pid":1,"tid":1,"ts":0,"dur":30},
{"ph":"X","name":"layer 0 / attention / rope","cat":"elementwise","pid":1,"tid":1,"ts":30,"dur":10},
{"ph":"X","name":"layer 1","cat":"host","pid":1,"tid":1,"ts":50,"dur":45},
{"ph":"X","name":"layer 1 / attention / q_proj","cat":"gemm","pid":1,"tid":1,"ts":50,"dur":30},
{"ph":"X","name":"layer 1 / attention / rope","cat":"elementwise","pid":1,"tid":1,"ts":80,"dur":10}
]})";

const StatsRow& row(const std::vector<StatsRow>& rows, const std::string& label) {
  for (const StatsRow& r : rows)
    if (r.label == label) return r;
  throw std::runtime_error("no row " + label);
}

TEST(ViewerStats, PerNameOnGpuWork) {
  const Trace t = parse_trace(gpu_trace_json(false), "gpu.json");
  ASSERT_TRUE(t.has_gpu);
  const Stats st = compute_stats(t);
  EXPECT_NE(st.basis.find("GPU"), std::string::npos);
  EXPECT_EQ(st.basis_total, 125'000);  // 100 + 21 + 4 us of kernels; the host range is not work
  EXPECT_EQ(st.basis_calls, 8);
  ASSERT_EQ(st.by_name.size(), 3u);
  EXPECT_EQ(st.by_name[0].label, "gemm_a");  // sorted by total, largest first
  const StatsRow& g = st.by_name[0];
  EXPECT_EQ(g.calls, 4);
  EXPECT_EQ(g.total, 100'000);
  EXPECT_EQ(g.min, 10'000);
  EXPECT_EQ(g.max, 40'000);
  EXPECT_EQ(g.median, 25'000);  // even count: the mean of the two middle values
  EXPECT_DOUBLE_EQ(g.mean, 25'000);
  EXPECT_NEAR(g.stddev, std::sqrt(125.0) * 1000, 1e-6);  // population sigma of 10, 20, 30, 40
  EXPECT_DOUBLE_EQ(g.share, 0.8);
  const StatsRow& a = row(st.by_name, "attn");
  EXPECT_EQ(a.median, 7'000);
  EXPECT_NEAR(a.stddev, std::sqrt(8.0 / 3.0) * 1000, 1e-6);
  EXPECT_DOUBLE_EQ(a.share, 21.0 / 125.0);
  // Shares of the work add up to 1; per category too.
  double sum = 0;
  for (const StatsRow& r : st.by_name) sum += r.share;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(row(st.by_category, "gemm").share, 0.8);
  EXPECT_DOUBLE_EQ(row(st.by_category, "memcpy").share, 0.032);
  // Each row's durations are kept sorted for the histogram.
  const Histogram h = histogram(st, g, 8);
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), 0u), 4u);
  EXPECT_TRUE(h.log_scale);  // 10 .. 40 us spans more than a factor of 2
  EXPECT_TRUE(std::is_sorted(h.edges.begin(), h.edges.end()));
  EXPECT_EQ(h.counts.front(), 1u);
  EXPECT_EQ(h.counts.back(), 1u);
}

TEST(ViewerStats, AllSlicesScopeAddsRangesWithoutShare) {
  const Trace t = parse_trace(gpu_trace_json(false), "gpu.json");
  const Stats st = compute_stats(t, {StatsScope::All, false});
  ASSERT_EQ(st.by_name.size(), 4u);
  const StatsRow& f = row(st.by_name, "forward");
  EXPECT_EQ(f.total, 400'000);
  EXPECT_EQ(f.share, 0.0);  // not work itself
  EXPECT_EQ(st.basis_total, 125'000);
  EXPECT_DOUBLE_EQ(row(st.by_name, "gemm_a").share, 0.8);
}

TEST(ViewerStats, CpuTraceShareIsOfTheLeafRanges) {
  const Trace t = parse_trace(kCpuTrace, "cpu.json");
  ASSERT_FALSE(t.has_gpu);
  const Stats st = compute_stats(t);
  EXPECT_NE(st.basis.find("leaf"), std::string::npos);
  EXPECT_EQ(st.basis_total, 80'000);
  ASSERT_EQ(st.by_name.size(), 4u);
  EXPECT_DOUBLE_EQ(row(st.by_name, "layer 0 / attention / q_proj").share, 0.375);
  // Merging layers: one row per op.
  const Stats merged = compute_stats(t, {StatsScope::Basis, true});
  ASSERT_EQ(merged.by_name.size(), 2u);
  const StatsRow& q = row(merged.by_name, "layer * / attention / q_proj");
  EXPECT_EQ(q.calls, 2);
  EXPECT_EQ(q.total, 60'000);
  EXPECT_DOUBLE_EQ(q.share, 0.75);
  EXPECT_EQ(q.names.size(), 2u);  // both original names: clicking highlights both
  EXPECT_DOUBLE_EQ(row(merged.by_category, "elementwise").share, 0.25);
  // Self time of the enclosing ranges.
  const Stats all = compute_stats(t, {StatsScope::All, false});
  EXPECT_EQ(row(all.by_name, "forward").self_total, 10'000);
  EXPECT_EQ(row(all.by_name, "layer 0").self_total, 5'000);
}

TEST(ViewerStats, LayerNumbersMerge) {
  EXPECT_EQ(merge_layer_numbers("layer 12 / attention / q_proj"), "layer * / attention / q_proj");
  EXPECT_EQ(merge_layer_numbers("model.layers.3.mlp.down_proj"), "model.layers.*.mlp.down_proj");
  EXPECT_EQ(merge_layer_numbers("Layer_7"), "Layer_*");
  EXPECT_EQ(merge_layer_numbers("player 1"), "player 1");  // not a word "layer"
  EXPECT_EQ(merge_layer_numbers("layer norm"), "layer norm");
  EXPECT_EQ(merge_layer_numbers("gemm_05_blocktile_2d<128,64>"), "gemm_05_blocktile_2d<128,64>");
}

TEST(ViewerStats, SortingByAnyColumn) {
  const Trace t = parse_trace(gpu_trace_json(false), "gpu.json");
  Stats st = compute_stats(t);
  sort_rows(st.by_name, StatsColumn::Calls, true);
  EXPECT_EQ(st.by_name.front().label, "copy");
  EXPECT_EQ(st.by_name.back().label, "gemm_a");
  sort_rows(st.by_name, StatsColumn::Name, true);
  EXPECT_EQ(st.by_name.front().label, "attn");
  sort_rows(st.by_name, StatsColumn::Mean, false);
  EXPECT_EQ(st.by_name.front().label, "gemm_a");
  sort_rows(st.by_name, StatsColumn::StdDev, true);
  EXPECT_EQ(st.by_name.front().label, "copy");  // one call: sigma 0
  // The histogram still finds each row's durations after sorting.
  EXPECT_EQ(histogram(st, row(st.by_name, "attn"), 4).counts.size(), 4u);
  const Histogram h = histogram(st, row(st.by_name, "attn"), 4);
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), 0u), 3u);
}

TEST(ViewerCompare, PerOpTotalsSideBySide) {
  const Trace a = parse_trace(gpu_trace_json(false), "naive.json");
  const Trace b = parse_trace(gpu_trace_json(true), "opt.json");
  const Comparison c = compare_traces(a, b);
  EXPECT_EQ(c.basis_a, 125'000);
  EXPECT_EQ(c.basis_b, 50'000 + 21'000 + 3'000);
  auto find = [&](const std::string& l) -> const CompareRow& {
    for (const CompareRow& r : c.rows)
      if (r.label == l) return r;
    throw std::runtime_error(l);
  };
  EXPECT_EQ(c.rows.front().label, "gemm_a");  // largest first
  EXPECT_DOUBLE_EQ(find("gemm_a").ratio, 0.5);
  EXPECT_EQ(find("gemm_a").calls_a, 4);
  EXPECT_EQ(find("gemm_a").calls_b, 4);
  EXPECT_DOUBLE_EQ(find("attn").ratio, 1.0);
  EXPECT_EQ(find("copy").ratio, 0.0);  // only in A
  EXPECT_EQ(find("copy").calls_b, 0);
  EXPECT_TRUE(std::isinf(find("only_b").ratio));  // only in B
  EXPECT_EQ(find("only_b").category, "elementwise");
  // Sorting by ratio puts the biggest speed-up first.
  Comparison s = c;
  sort_rows(s.rows, CompareColumn::Ratio, true);
  EXPECT_EQ(s.rows.front().label, "copy");
  EXPECT_EQ(s.rows[1].label, "gemm_a");
  // Alignment: on the first "forward", else the trace's start.
  EXPECT_DOUBLE_EQ(align_origin(a, "forward"), 90'000);
  EXPECT_DOUBLE_EQ(align_origin(a, "no such slice"), static_cast<double>(a.start));
  EXPECT_DOUBLE_EQ(align_origin(a, ""), static_cast<double>(a.start));
}

TEST(ViewerCompare, PerOpJoinsDifferentKernelsOfTheSameOp) {
  // The naive and the "optimised" fixture run different kernels (gemm_naive_f32 / gemm_bf16_tiled) under the
  // same host ranges; by op, each range gets the GPU time of the kernels it launched.
  const Trace a = load_trace(test::test_data("traces/forward_gpu.json"));
  const Trace b = load_trace(test::test_data("traces/forward_gpu_opt.json"));
  const StatsOptions by_op{StatsScope::Basis, true, true};
  const Stats sa = compute_stats(a, by_op);
  const StatsRow& q = row(sa.by_name, "layer * / attention / q_proj");
  EXPECT_EQ(q.calls, 4);  // one gemm per layer
  EXPECT_EQ(q.basis_total, q.total);
  EXPECT_EQ(sa.basis_total, compute_stats(a).basis_total);  // the same work, filed differently
  int64_t calls = 0;
  for (const StatsRow& r : sa.by_name) calls += r.calls;
  EXPECT_EQ(calls, sa.basis_calls);
  const Comparison c = compare_traces(a, b, by_op);
  for (const CompareRow& r : c.rows) {
    EXPECT_EQ(r.calls_a, r.calls_b) << r.label;  // every op is on both sides
    if (r.label == "layer * / attention / q_proj") { EXPECT_NEAR(r.ratio, 1 / 3.5, 0.02); }
  }
  // Without by_op the kernels do not match up.
  bool only_a = false;
  for (const CompareRow& r : compare_traces(a, b).rows) only_a = only_a || (r.calls_b == 0);
  EXPECT_TRUE(only_a);
}

TEST(ViewerInterval, BusyFractionOfEachTrack) {
  const Trace t = parse_trace(gpu_trace_json(false), "gpu.json");
  const auto busy = busy_in_interval(t, 100'000, 200'000);
  ASSERT_EQ(busy.size(), 2u);  // host thread, GPU stream
  for (const TrackBusy& b : busy) {
    if (t.tracks[b.track].gpu) {
      EXPECT_EQ(b.busy, 15'000);  // gemm 10 us + attn 5 us
      EXPECT_DOUBLE_EQ(b.fraction, 0.15);
      EXPECT_EQ(b.slices, 2u);
    } else {
      EXPECT_EQ(b.busy, 100'000);  // inside "forward" all along
      EXPECT_DOUBLE_EQ(b.fraction, 1.0);
    }
  }
  // Clipping at both ends: 105 .. 152 us holds 5 us of gemm and 2 us of attn.
  for (const TrackBusy& b : busy_in_interval(t, 105'000, 152'000))
    if (t.tracks[b.track].gpu) { EXPECT_EQ(b.busy, 7'000); }
  // Reversed bounds are the same interval.
  EXPECT_EQ(busy_in_interval(t, 200'000, 100'000)[1].busy, busy[1].busy);
}

TEST(ViewerNameFilter, IncludesExcludesCaseInsensitive) {
  NameFilter f("gemm, ATTN");
  EXPECT_TRUE(f.matches("gemm_a"));
  EXPECT_TRUE(f.matches("flash_attn_fwd"));
  EXPECT_FALSE(f.matches("rms_norm"));
  f.set("layer,-norm");
  EXPECT_TRUE(f.matches("layer 3 / attention / q_proj"));
  EXPECT_FALSE(f.matches("layer 3 / attention / input_norm"));
  f.set("-memcpy");
  EXPECT_TRUE(f.matches("gemm"));
  EXPECT_FALSE(f.matches("Memcpy HtoD"));
  f.set("");
  EXPECT_TRUE(f.empty());
  EXPECT_TRUE(f.matches("anything"));
}

TEST(ViewerDirListing, FoldersFirstTracesOnly) {
  test::TempDir dir;
  for (const char* n : {"b.json", "a.txt", "c.json.gz", ".hidden.json", "d.trace"}) std::ofstream(dir.file(n)) << "x";
  std::filesystem::create_directory(dir.file("sub"));
  const auto traces = list_directory(dir.path().string(), true);
  ASSERT_EQ(traces.size(), 4u);
  EXPECT_EQ(traces[0].name, "sub");
  EXPECT_TRUE(traces[0].is_dir);
  EXPECT_EQ(traces[1].name, "b.json");
  EXPECT_EQ(traces[1].size, 1u);
  EXPECT_EQ(traces[2].name, "c.json.gz");
  EXPECT_EQ(traces[3].name, "d.trace");
  EXPECT_EQ(list_directory(dir.path().string(), false).size(), 5u);
  EXPECT_THROW(list_directory(dir.file("missing"), true), IoError);
  EXPECT_EQ(parent_directory("/a/b"), "/a");
  EXPECT_EQ(parent_directory("/a/b/"), "/a");
  EXPECT_EQ(parent_directory("/"), "/");
}

}  // namespace
}  // namespace qwen3::viewer
