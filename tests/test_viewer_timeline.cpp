// The timeline's model: time <-> pixel mapping under zoom and pan, keyboard navigation, the ruler's ticks,
// time formatting, the vertical layout, level of detail (sub-pixel merging, visible range only) and hit
// testing a click to an event.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>

#include "test_util.h"
#include "viewer/colors.h"
#include "viewer/hit_test.h"
#include "viewer/interval.h"
#include "viewer/layout.h"
#include "viewer/row_boxes.h"
#include "viewer/stats.h"
#include "viewer/synthetic_trace.h"
#include "viewer/time_format.h"
#include "viewer/time_view.h"
#include "viewer/trace_builder.h"
#include "viewer/trace_loader.h"

namespace qwen3::viewer {
namespace {

// One track, one row of `n` slices of `dur` ns every `period` ns, starting at 0.
Trace regular_row(size_t n, Ns dur, Ns period, std::string_view name = "k") {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("1", "1");
  ArgList none;
  for (size_t i = 0; i < n; ++i)
    b.complete(tr, static_cast<Ns>(i) * period, dur, name, "gemm", none, 0, [] { return std::string(); });
  return b.finish();
}

TimeView view_of(double t0, double ns_per_px, double width, double span) {
  TimeView v;
  v.t0 = t0;
  v.ns_per_px = ns_per_px;
  v.width_px = width;
  v.span_ns = span;
  return v;
}

// ---- time <-> pixels ----------------------------------------------------------------------------------

TEST(ViewerTimeView, MappingIsAnInverse) {
  const TimeView v = view_of(1000, 2.5, 800, 1e6);
  EXPECT_DOUBLE_EQ(v.x_of(1000), 0);
  EXPECT_DOUBLE_EQ(v.x_of(3500), 1000);
  for (double x : {0.0, 1.5, 400.0, 799.0}) { EXPECT_NEAR(v.x_of(v.t_of(x)), x, 1e-9); }
  EXPECT_DOUBLE_EQ(v.t1(), 1000 + 800 * 2.5);
}

TEST(ViewerTimeView, ZoomKeepsTheTimeUnderTheCursor) {
  TimeView v = view_of(0, 1000, 1000, 1e6);
  const double x = 250, t = v.t_of(x);
  v.zoom_at(x, 4.0);
  EXPECT_NEAR(v.t_of(x), t, 1e-6);
  EXPECT_DOUBLE_EQ(v.ns_per_px, 250);
  v.zoom_at(x, 0.5);
  EXPECT_NEAR(v.t_of(x), t, 1e-6);
  EXPECT_DOUBLE_EQ(v.ns_per_px, 500);
  // Many wheel notches in: stops at the deepest zoom, the anchor still holds.
  for (int i = 0; i < 200; ++i) v.zoom_at(x, 1.25);
  EXPECT_DOUBLE_EQ(v.ns_per_px, TimeView::kMinNsPerPx);
  EXPECT_NEAR(v.t_of(x), t, 1e-6);
  // ... and out: at most a trace in a tenth of the width.
  for (int i = 0; i < 200; ++i) v.zoom_at(x, 0.8);
  EXPECT_DOUBLE_EQ(v.ns_per_px, 10.0 * 1e6 / 1000);
}

TEST(ViewerTimeView, PanFollowsTheMouseAndStaysNearTheTrace) {
  TimeView v = view_of(5000, 10, 1000, 1e6);
  v.pan_px(100);  // drag right: earlier times come into view
  EXPECT_DOUBLE_EQ(v.t0, 4000);
  v.pan_px(-300);
  EXPECT_DOUBLE_EQ(v.t0, 7000);
  v.pan_px(1e9);  // far left: clamped so a quarter of the view still shows the trace
  EXPECT_DOUBLE_EQ(v.t0, -0.75 * 1000 * 10);
  v.pan_px(-1e9);
  EXPECT_DOUBLE_EQ(v.t0, 1e6 - 0.25 * 1000 * 10);
}

TEST(ViewerTimeView, FitShowsTheRangeWithMargins) {
  TimeView v = view_of(0, 1, 1000, 1e9);
  v.fit(2000, 12000, 0.05);
  EXPECT_NEAR(v.x_of(2000), 50, 1e-9);
  EXPECT_NEAR(v.x_of(12000), 950, 1e-9);
  v.fit(500, 500, 0);  // empty range: 1 ns wide, never a division by zero
  EXPECT_TRUE(std::isfinite(v.ns_per_px));
}

TEST(ViewerTimeView, KeyboardNavigation) {
  TimeView v = view_of(0, 1000, 1000, 1e7);
  const double anchor = 600, t = v.t_of(anchor);
  NavKeys w;
  w.zoom_in = true;
  keyboard_nav(v, w, 0.1, 0, anchor);
  EXPECT_LT(v.ns_per_px, 1000);
  EXPECT_NEAR(v.t_of(anchor), t, 1e-6);
  const double npp = v.ns_per_px;
  NavKeys s;
  s.zoom_out = true;
  keyboard_nav(v, s, 0.1, 0, anchor);
  EXPECT_NEAR(v.ns_per_px, 1000, 1e-6);  // W then S for the same time: back where it was
  EXPECT_LT(npp, v.ns_per_px);
  const double t0 = v.t0;
  NavKeys d;
  d.right = true;
  keyboard_nav(v, d, 0.1, 0, anchor);
  EXPECT_GT(v.t0, t0);  // D shows later times
  const double moved_slow = v.t0 - t0;
  const double t1 = v.t0;
  keyboard_nav(v, d, 0.1, 1.0, anchor);  // held for a second: faster
  EXPECT_GT(v.t0 - t1, moved_slow * 2);
  NavKeys a;
  a.left = true;
  const double before_a = v.t0;
  keyboard_nav(v, a, 0.1, 0, anchor);
  EXPECT_LT(v.t0, before_a);  // A shows earlier times
}

// ---- ruler and formatting -----------------------------------------------------------------------------

TEST(ViewerTimeFormat, Durations) {
  EXPECT_EQ(format_duration(0), "0 ns");
  EXPECT_EQ(format_duration(850), "850 ns");
  EXPECT_EQ(format_duration(12345), "12.3 \xc2\xb5s");
  EXPECT_EQ(format_duration(4.56e6), "4.56 ms");
  EXPECT_EQ(format_duration(123.4e6), "123 ms");
  EXPECT_EQ(format_duration(1.234e9), "1.23 s");
  EXPECT_EQ(format_duration_exact(12345), "12.345 \xc2\xb5s");
  EXPECT_EQ(format_duration_exact(1000), "1 \xc2\xb5s");
  EXPECT_EQ(format_duration_exact(1500000), "1.5 ms");
  EXPECT_EQ(format_duration_exact(7), "7 ns");
  EXPECT_EQ(format_duration_exact(-2500), "-2.5 \xc2\xb5s");
  EXPECT_EQ(format_count(1234567), "1,234,567");
  EXPECT_EQ(format_count(12), "12");
  EXPECT_EQ(format_percent(0.125), "12.5%");
}

TEST(ViewerTimeFormat, NiceSteps) {
  EXPECT_DOUBLE_EQ(nice_step(1), 1);
  EXPECT_DOUBLE_EQ(nice_step(1.1), 2);
  EXPECT_DOUBLE_EQ(nice_step(3), 5);
  EXPECT_DOUBLE_EQ(nice_step(7), 10);
  EXPECT_DOUBLE_EQ(nice_step(120), 200);
  EXPECT_DOUBLE_EQ(nice_step(4e6), 5e6);
}

TEST(ViewerTimeFormat, RulerUnitsAdaptToTheZoom) {
  struct Case {
    double ns_per_px;
    const char* unit;
  } cases[] = {{0.05, " ns"}, {5, "\xc2\xb5s"}, {5000, " ms"}, {5e6, " s"}};
  for (const Case& c : cases) {
    const TimeView v = view_of(0, c.ns_per_px, 1000, 1e12);
    const Ruler r = make_ruler(v, 100);
    // Majors at least 100 px apart, on multiples of the step, labelled in the span's unit.
    EXPECT_GE(r.major_step / c.ns_per_px, 100 - 1e-9);
    int majors = 0;
    for (const RulerTick& t : r.ticks) {
      if (!t.major) continue;
      ++majors;
      EXPECT_NEAR(std::remainder(t.t, r.major_step), 0, r.major_step * 1e-9);
      EXPECT_NE(t.label.find(c.unit), std::string::npos) << t.label << " at " << c.ns_per_px << " ns/px";
    }
    EXPECT_GE(majors, 4);
    EXPECT_LE(majors, 12);
  }
  // Deep zoom far into a long trace: labels relative to the first, never a 12-digit number.
  const TimeView deep = view_of(3.6e12 + 0.3, 0.05, 1000, 1e13);
  const Ruler r = make_ruler(deep, 100);
  bool relative = false;
  for (const RulerTick& t : r.ticks)
    if (t.major && !t.label.empty() && t.label[0] == '+') relative = true;
  EXPECT_TRUE(relative);
}

TEST(ViewerColors, FixedPerCategoryStableHashOtherwise) {
  EXPECT_EQ(category_color("gemm"), category_color("gemm"));
  EXPECT_NE(category_color("gemm"), category_color("attention"));
  EXPECT_EQ(category_color("kernel"), category_color("gemm"));  // Kineto's name for the same work
  EXPECT_EQ(category_color("my_custom_cat"), hash_color("my_custom_cat"));
  EXPECT_EQ(hash_color("my_custom_cat"), 0xff000000u | (hash_color("my_custom_cat") & 0xffffff));
  EXPECT_NE(hash_color("a"), hash_color("b"));
  EXPECT_EQ(text_color_on(rgba(255, 255, 255)), rgba(0x14, 0x14, 0x18));
  EXPECT_EQ(text_color_on(rgba(0, 0, 80)), rgba(255, 255, 255));
}

// ---- layout -------------------------------------------------------------------------------------------

TEST(ViewerLayout, ItemsStackAndFoldsHideTracks) {
  const Trace t = load_trace(test::test_data("traces/every_phase.json"));
  const TimelineSource src{&t, static_cast<double>(t.start)};
  LayoutMetrics m;
  Folds folds;
  const Layout l = build_layout({&src, 1}, folds, m);
  // GPU 0 header, its track; host header, worker, main, 3 counters.
  ASSERT_EQ(l.items.size(), 2u + 3u + 3u);
  float y = 0;
  for (const LayoutItem& it : l.items) {
    EXPECT_FLOAT_EQ(it.y, y);
    y += it.h;
  }
  EXPECT_FLOAT_EQ(l.height, y);
  const uint32_t main_track = t.processes[1].tracks[1];
  EXPECT_FLOAT_EQ(l.items[4].h, 2 * m.track_pad + 3 * m.row_h);  // main has 3 rows
  EXPECT_FLOAT_EQ(l.row_y(0, main_track, 2, m), l.items[4].y + m.track_pad + 2 * m.row_h);
  EXPECT_EQ(l.find(l.items[4].y + 1), 4);
  EXPECT_EQ(l.find(-1), -1);
  EXPECT_EQ(l.find(l.height + 1), -1);
  const auto [a, b] = l.visible(l.items[2].y + 1, l.items[4].y + 1);
  EXPECT_EQ(a, 2u);
  EXPECT_EQ(b, 5u);

  folds.toggle(0, 1, t.processes.size());  // fold the host process
  const Layout f = build_layout({&src, 1}, folds, m);
  ASSERT_EQ(f.items.size(), 3u);
  EXPECT_LT(f.row_y(0, main_track, 0, m), 0);
  // Two sources (compare mode): a header per trace.
  const TimelineSource two[] = {src, src};
  EXPECT_EQ(build_layout(two, Folds{}, m).items.size(), 2 * (1 + l.items.size()));
}

// ---- level of detail ---------------------------------------------------------------------------------

TEST(ViewerRowBoxes, ZoomedInEverySliceIsItsOwnBoxAtTheRightPixels) {
  const Trace t = regular_row(10, 50, 100);  // slices at 0, 100, ..., 900, 50 ns each
  const TimeView v = view_of(0, 1, 1000, 1000);  // 1 ns per pixel
  std::vector<Box> boxes;
  build_row_boxes(t, t.tracks[0].rows[0], 0, v, boxes);
  ASSERT_EQ(boxes.size(), 10u);
  for (size_t i = 0; i < boxes.size(); ++i) {
    EXPECT_EQ(boxes[i].count, 1u);
    EXPECT_EQ(boxes[i].first, i);
    EXPECT_DOUBLE_EQ(boxes[i].x0, 100.0 * static_cast<double>(i));
    EXPECT_DOUBLE_EQ(boxes[i].x1, 100.0 * static_cast<double>(i) + 50);
  }
  // Panned: the origin offset and t0 shift every box.
  std::vector<Box> shifted;
  build_row_boxes(t, t.tracks[0].rows[0], -200, view_of(100, 1, 1000, 1000), shifted);
  ASSERT_FALSE(shifted.empty());
  EXPECT_EQ(shifted[0].first, 0u);  // the slice at 0 is at relative 200, x = 100
  EXPECT_DOUBLE_EQ(shifted[0].x0, 100);
}

TEST(ViewerRowBoxes, OnlyTheVisibleRangeIsTouched) {
  const Trace t = regular_row(1000, 50, 100);
  std::vector<Box> boxes;
  build_row_boxes(t, t.tracks[0].rows[0], 0, view_of(50'020, 1, 300, 1e5), boxes);  // 50020 .. 50320
  ASSERT_EQ(boxes.size(), 4u);  // slices 500 (ends 50050), 501, 502, 503 (starts 50300)
  EXPECT_EQ(boxes.front().first, 500u);
  EXPECT_EQ(boxes.back().first, 503u);
}

TEST(ViewerRowBoxes, SubPixelSlicesMergeWithoutBridgingGaps) {
  // 1000 slices of 10 ns every 20 ns (0 .. 20 us), then a 50 us gap, then 1000 more.
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("1", "1");
  ArgList none;
  auto w = [] { return std::string(); };
  for (int i = 0; i < 1000; ++i) b.complete(tr, i * 20, 10, "tiny", "gemm", none, 0, w);
  for (int i = 0; i < 1000; ++i) b.complete(tr, 70'000 + i * 20, 10, "tiny", "gemm", none, 0, w);
  b.complete(tr, 30'000, 5'000, "wide", "norm", none, 0, w);
  const Trace t = b.finish();
  const TimeView v = view_of(0, 100, 1000, 100'000);  // 100 ns per pixel: every tiny slice is 0.1 px
  std::vector<Box> boxes;
  build_row_boxes(t, t.tracks[0].rows[0], 0, v, boxes);
  uint64_t covered = 0;
  bool wide_alone = false;
  for (size_t i = 0; i < boxes.size(); ++i) {
    covered += boxes[i].count;
    if (i > 0) { EXPECT_LE(boxes[i - 1].x0, boxes[i].x0); }
    if (t.name(t.slices[boxes[i].first]) == "wide") {
      wide_alone = boxes[i].count == 1;
      EXPECT_DOUBLE_EQ(boxes[i].x0, 300);
      EXPECT_DOUBLE_EQ(boxes[i].x1, 350);
    }
    // No box spans the idle gaps (20 us .. 30 us, 35 us .. 70 us).
    EXPECT_FALSE(boxes[i].x0 < 250 && boxes[i].x1 > 250) << i;
    EXPECT_FALSE(boxes[i].x0 < 500 && boxes[i].x1 > 500) << i;
    // A merged box stops growing past kMaxMergedPx (plus at most the last step's few pixels).
    if (boxes[i].count > 1) { EXPECT_LE(boxes[i].x1 - boxes[i].x0, kMaxMergedPx + 4 * kMergePx); }
  }
  EXPECT_EQ(covered, 2001u);  // every slice is behind exactly one box
  EXPECT_TRUE(wide_alone);
  EXPECT_LT(boxes.size(), 100u);  // ~200 px of tiny slices, boxes of up to kMaxMergedPx
}

TEST(ViewerRowBoxes, AMillionSlicesCostPixelsNotSlices) {
  const Trace t = regular_row(1'000'000, 3, 5);  // 5 ms of 3-ns kernels
  const TimeView v = view_of(0, 5e6 / 1500, 1500, 5e6);  // all of it in 1500 px
  std::vector<Box> boxes;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    boxes.clear();
    build_row_boxes(t, t.tracks[0].rows[0], 0, v, boxes);
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 10;
  uint64_t covered = 0;
  for (const Box& b : boxes) covered += b.count;
  EXPECT_EQ(covered, 1'000'000u);
  EXPECT_LE(boxes.size(), 1500 / kMaxMergedPx + 2);
  EXPECT_LT(ms, 5.0) << "one row of a million slices took " << ms << " ms";
}

TEST(ViewerRowBoxes, HighlightListsMergeTheSameWay) {
  const Trace t = regular_row(100, 50, 100);
  std::vector<uint32_t> every_tenth;
  for (uint32_t i = 0; i < 100; i += 10) every_tenth.push_back(i);
  std::vector<Box> boxes;
  build_list_boxes(t, every_tenth, 0, view_of(0, 1, 10000, 10000), boxes);
  ASSERT_EQ(boxes.size(), 10u);
  EXPECT_EQ(boxes[3].first, 30u);
  EXPECT_DOUBLE_EQ(boxes[3].x0, 3000);
  boxes.clear();
  build_list_boxes(t, every_tenth, 0, view_of(0, 1000, 10, 10000), boxes);  // 1 us per px: merged
  uint64_t covered = 0;
  for (const Box& b : boxes) covered += b.count;
  EXPECT_EQ(covered, 10u);
  EXPECT_LT(boxes.size(), 10u);
}

// ---- hit testing ------------------------------------------------------------------------------------

TEST(ViewerHitTest, ClickToEvent) {
  const Trace t = load_trace(test::test_data("traces/every_phase.json"));
  const TimelineSource src{&t, static_cast<double>(t.start)};  // relative time 0 = 100 us
  LayoutMetrics m;
  const Layout l = build_layout({&src, 1}, Folds{}, m);
  const TimeView v = view_of(0, 100, 1000, 80000);  // 100 ns per pixel over the trace's 80 us
  const uint32_t main_track = t.processes[1].tracks[1];
  const double row0 = l.row_y(0, main_track, 0, m) + m.row_h / 2;
  const double row1 = l.row_y(0, main_track, 1, m) + m.row_h / 2;
  const double row2 = l.row_y(0, main_track, 2, m) + m.row_h / 2;

  // "inner" covers 110.5 .. 130.75 us: relative 10.5 .. 30.75 us, x = 105 .. 307.5.
  Hit h = hit_test({&src, 1}, l, m, v, 200, row1);
  ASSERT_EQ(h.kind, Hit::Slice);
  EXPECT_EQ(t.name(t.slices[h.slice]), "inner");
  EXPECT_EQ(h.depth, 1u);
  EXPECT_NEAR(h.x0, 105, 1e-9);
  // "outer" below it at depth 0, away from the instants (x = 50 .. 70).
  h = hit_test({&src, 1}, l, m, v, 400, row0);
  ASSERT_EQ(h.kind, Hit::Slice);
  EXPECT_EQ(t.name(t.slices[h.slice]), "outer");
  // An instant ("mark" at 105 us, x = 50) wins on the first row.
  h = hit_test({&src, 1}, l, m, v, 51, row0);
  ASSERT_EQ(h.kind, Hit::Instant);
  EXPECT_EQ(t.str(t.tracks[main_track].instants[h.instant].name), "mark");
  // Between slices on row 1 (inner ends at x 307.5, begin-end starts at x 350): nothing.
  h = hit_test({&src, 1}, l, m, v, 330, row1);
  EXPECT_EQ(h.kind, Hit::Track);
  EXPECT_EQ(h.slice, kNone);
  // Within the tolerance of a thin slice: launch_a (112 .. 114 us, x = 120 .. 140) from 2 px away.
  h = hit_test({&src, 1}, l, m, v, 142, row2);
  ASSERT_EQ(h.kind, Hit::Slice);
  EXPECT_EQ(t.name(t.slices[h.slice]), "launch_a");
  // Process header.
  h = hit_test({&src, 1}, l, m, v, 10, l.items[0].y + 2);
  EXPECT_EQ(h.kind, Hit::Process);
  EXPECT_EQ(h.process, 0u);
  // Below everything.
  EXPECT_EQ(hit_test({&src, 1}, l, m, v, 10, l.height + 50).kind, Hit::None);
}

TEST(ViewerHitTest, MergedBoxesReportWhatTheyHold) {
  const Trace t = regular_row(10000, 3, 5);
  const TimelineSource src{&t, 0};
  LayoutMetrics m;
  const Layout l = build_layout({&src, 1}, Folds{}, m);
  const TimeView v = view_of(0, 50, 1000, 50000);  // 10 slices per pixel
  const Hit h = hit_test({&src, 1}, l, m, v, 500, l.row_y(0, 0, 0, m) + 5);
  ASSERT_EQ(h.kind, Hit::Merged);
  EXPECT_GT(h.count, 1u);
  EXPECT_LE(h.x0, 500);
  EXPECT_GE(h.x1, 500);
  // The merged slices are the ones under the box.
  const Slice& first = t.slices[h.slice];
  EXPECT_NEAR(v.x_of(static_cast<double>(first.start)), h.x0, 1e-9);
}

// ---- the viewer's time range ----------------------------------------------------------------------------

// A trace across the whole time range, ±(2^62 - 1) ns: its span, the slice's end, the statistics' totals and
// an interval's busy time come out exact and positive (no wrap-around), and view positions far off the trace
// clamp into the range when converted to nanoseconds, where a plain cast overflowed.
TEST(ViewerTimeRange, ATraceAcrossTheWholeRangeStaysExact) {
  // The durations add up to 2^63 - 1 ns, the most the loader accepts.
  const Trace t = parse_trace(R"([{"ph":"B","name":"all","cat":"host","pid":1,"tid":1,"ts":-4611686018427387.903},
    {"ph":"E","pid":1,"tid":1,"ts":4611686018427387.903},
    {"ph":"X","name":"inner","cat":"gemm","pid":1,"tid":1,"ts":0,"dur":0.001}])", "range.json");
  EXPECT_EQ(t.start, -kMaxTimeNs);
  EXPECT_EQ(t.end, kMaxTimeNs);
  EXPECT_EQ(t.end - t.start, 2 * kMaxTimeNs);
  ASSERT_EQ(t.slices.size(), 2u);
  const Slice& all = t.slices[0];
  EXPECT_EQ(all.end(), kMaxTimeNs);
  EXPECT_TRUE(all.flags & kHasChildren);
  EXPECT_EQ(all.self, 2 * kMaxTimeNs - 1);
  StatsOptions everything;
  everything.scope = StatsScope::All;
  const Stats st = compute_stats(t, everything);
  ASSERT_EQ(st.by_name.size(), 2u);
  EXPECT_EQ(st.by_name[0].total, 2 * kMaxTimeNs);  // sorted by total: "all" first
  EXPECT_EQ(st.basis_total, 1);                     // the leaf
  // An interval dragged far past both ends: clamped, the track was busy all of it.
  EXPECT_EQ(clamp_to_time_range(-1e30), -kMaxTimeNs);
  EXPECT_EQ(clamp_to_time_range(1e30), kMaxTimeNs);
  EXPECT_EQ(clamp_to_time_range(std::nan("")), 0);
  EXPECT_EQ(clamp_to_time_range(-2.5), -3);  // rounds half away from zero, as llround
  const auto busy = busy_in_interval(t, clamp_to_time_range(-1e30), clamp_to_time_range(1e30));
  ASSERT_EQ(busy.size(), 1u);
  EXPECT_EQ(busy[0].busy, 2 * kMaxTimeNs);
  EXPECT_DOUBLE_EQ(busy[0].fraction, 1.0);
  // The view fits it with finite, increasing coordinates.
  TimeView v = view_of(0, 1, 1000, static_cast<double>(t.end - t.start));
  v.fit(0, static_cast<double>(t.end - t.start));
  EXPECT_TRUE(std::isfinite(v.ns_per_px));
  EXPECT_LT(v.x_of(0), v.x_of(static_cast<double>(t.end - t.start)));
}

TEST(ViewerSynthetic, AMillionSliceForwardPassBuilds) {
  const Trace t = make_synthetic_trace(200'000);
  EXPECT_NEAR(static_cast<double>(t.slices.size()), 200'000, 3);
  EXPECT_TRUE(t.has_gpu);
  EXPECT_GT(t.flows.size(), 60'000u);
  EXPECT_EQ(t.processes.size(), 2u);
  // Its JSON form loads to the same trace.
  const Trace j = parse_trace(synthetic_trace_json(5000), "synthetic.json");
  const Trace m = make_synthetic_trace(5000);
  ASSERT_EQ(j.slices.size(), m.slices.size());
  EXPECT_EQ(j.flows.size(), m.flows.size());
  for (size_t i = 0; i < j.slices.size(); i += 97) {
    EXPECT_EQ(j.slices[i].start, m.slices[i].start);
    EXPECT_EQ(j.name(j.slices[i]), m.name(m.slices[i]));
  }
}

}  // namespace
}  // namespace qwen3::viewer
