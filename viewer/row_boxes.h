// Level of detail: which boxes to draw for one row of slices at the current zoom.
//
// A zoomed-out row can hold a million slices, but the screen has ~1500 pixels. Two rules keep the work
// proportional to pixels, not to slices (Tracy's approach):
//   1. only the visible range is touched: the first slice ending after the left edge is a binary search
//      (a row's ends are sorted like its starts, trace.h);
//   2. a slice narrower than kMergePx starts a merged box, which swallows every following slice that begins
//      less than kMergePx after the box's end and is itself small. Whole runs are skipped with one binary
//      search ("the first slice ending at least kMergePx past the box"), and each step grows the box by at
//      least kMergePx, so a row costs O(width / kMergePx * log n) whatever its number of slices.
// A merged box is drawn as one rectangle and tells the tooltip how many slices it stands for; an idle gap
// wider than kMergePx is never bridged, so what looks empty is empty. A merged box stops growing at
// kMaxMergedPx, and takes its colour from its longest slice among a few evenly spaced samples: a
// zoomed-out row then reads as a strip of its dominant categories (gemm here, attention there) rather than
// one bar in the colour of whatever came first.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "viewer/time_view.h"
#include "viewer/trace.h"

namespace qwen3::viewer {

inline constexpr double kMergePx = 2.0;
inline constexpr double kMaxMergedPx = 6.0;
inline constexpr int kColorSamples = 8;

struct Box {
  double x0 = 0, x1 = 0;  // pixels from the left edge of the track area (x1 - x0 >= 1 for a merged box)
  uint32_t first = 0;     // the first slice behind it (index into Trace::slices)
  uint32_t count = 1;     // > 1: a merged box standing for `count` consecutive slices of the row (or list)
  uint32_t rep = 0;       // the slice whose category (or name) colours the box: `first` when count == 1
};

// Boxes of `row`, whose times are shown relative to `origin` (the trace's start in ns), appended to `out`.
void build_row_boxes(const Trace& trace, const Row& row, double origin, const TimeView& view, std::vector<Box>& out,
                     double merge_px = kMergePx);

// The same over a sorted list of slice indices of one row (the highlighted slices of a statistics row):
// `first` is then the first listed slice behind the box and `count` how many listed slices it covers.
void build_list_boxes(const Trace& trace, std::span<const uint32_t> slices, double origin, const TimeView& view,
                      std::vector<Box>& out, double merge_px = kMergePx);

}  // namespace qwen3::viewer
