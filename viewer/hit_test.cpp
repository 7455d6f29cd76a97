#include "viewer/hit_test.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "viewer/row_boxes.h"

namespace qwen3::viewer {

Hit hit_test(std::span<const TimelineSource> sources, const Layout& layout, const LayoutMetrics& m,
             const TimeView& view, double x, double y, double tolerance_px) {
  Hit hit;
  const int i = layout.find(static_cast<float>(y));
  if (i < 0) return hit;
  const LayoutItem& item = layout.items[static_cast<size_t>(i)];
  hit.source = item.source;
  const TimelineSource& src = sources[item.source];
  const Trace& t = *src.trace;
  switch (item.kind) {
    case ItemKind::Trace: hit.kind = Hit::TraceHeader; return hit;
    case ItemKind::Process:
      hit.kind = Hit::Process;
      hit.process = item.index;
      return hit;
    case ItemKind::Counter:
      hit.kind = Hit::Counter;
      hit.counter = item.index;
      return hit;
    case ItemKind::Track: break;
  }
  hit.kind = Hit::Track;
  hit.track = item.index;
  const Track& tr = t.tracks[item.index];
  const double top = layout.track_top[item.source][item.index];
  const double rel = y - top;
  if (rel < 0 || rel >= static_cast<double>(std::max<size_t>(tr.rows.size(), 1)) * m.row_h) return hit;
  hit.depth = static_cast<uint32_t>(rel / m.row_h);

  // Instants sit on the first row: a marker within a few pixels wins over the slice below it.
  if (hit.depth == 0 && !tr.instants.empty()) {
    const double t_lo = view.t_of(x - tolerance_px - 1) + src.origin;
    auto it = std::lower_bound(tr.instants.begin(), tr.instants.end(), t_lo,
                               [](const Instant& in, double t) { return static_cast<double>(in.ts) < t; });
    double best = tolerance_px + 1;
    for (; it != tr.instants.end(); ++it) {
      const double ix = view.x_of(static_cast<double>(it->ts) - src.origin);
      if (ix > x + tolerance_px + 1) break;
      if (std::fabs(ix - x) < best) {
        best = std::fabs(ix - x);
        hit.instant = static_cast<uint32_t>(it - tr.instants.begin());
      }
    }
    if (hit.instant != kNone) {
      hit.kind = Hit::Instant;
      return hit;
    }
  }
  if (hit.depth >= tr.rows.size()) return hit;

  // The boxes of this row exactly as drawing makes them (the same view, so merged runs start at the same
  // slice): O(width log n), cheap enough for one row per frame.
  std::vector<Box> boxes;
  build_row_boxes(t, tr.rows[hit.depth], src.origin, view, boxes);
  auto it = std::lower_bound(boxes.begin(), boxes.end(), x - tolerance_px,
                             [](const Box& b, double v) { return b.x1 < v; });
  double best = tolerance_px + 1;
  const Box* chosen = nullptr;
  for (; it != boxes.end() && it->x0 <= x + tolerance_px; ++it) {
    const double d = x < it->x0 ? it->x0 - x : x > it->x1 ? x - it->x1 : 0.0;
    if (d < best) {
      best = d;
      chosen = &*it;
    }
  }
  if (!chosen) return hit;
  hit.x0 = chosen->x0;
  hit.x1 = chosen->x1;
  hit.slice = chosen->first;
  hit.count = chosen->count;
  hit.kind = chosen->count > 1 ? Hit::Merged : Hit::Slice;
  return hit;
}

}  // namespace qwen3::viewer
