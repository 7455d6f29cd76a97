// Hit testing: what is under the mouse. It asks the same level-of-detail code that drawing uses
// (row_boxes.h) for the one row under the cursor, so the answer is exactly the box the user sees: a slice,
// or a merged box standing for many.
#pragma once
#include <cstdint>
#include <span>

#include "viewer/layout.h"
#include "viewer/time_view.h"
#include "viewer/trace.h"

namespace qwen3::viewer {

struct Hit {
  enum Kind : uint8_t { None, Slice, Merged, Instant, Process, TraceHeader, Counter, Track } kind = None;
  int source = -1;
  uint32_t track = kNone, depth = 0;
  uint32_t process = kNone, counter = kNone;
  uint32_t slice = kNone;    // Slice: the slice; Merged: the first slice behind the box
  uint32_t count = 0;        // Merged: how many slices the box stands for
  uint32_t instant = kNone;  // index into the track's instants
  double x0 = 0, x1 = 0;     // the box, in pixels
};

// (x, y): pixels from the top-left of the track area (y in content coordinates, scrolling included).
// A box within `tolerance_px` counts when nothing is exactly under x (thin kernels at a zoomed-out view).
Hit hit_test(std::span<const TimelineSource> sources, const Layout& layout, const LayoutMetrics& m,
             const TimeView& view, double x, double y, double tolerance_px = 3.0);

}  // namespace qwen3::viewer
