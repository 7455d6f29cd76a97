// The vertical layout of the timeline: which trace, process, track or counter occupies which pixels.
//
//   [trace header]          only in compare mode: "A: naive.json" / "B: opt.json"
//   [process header]        name, pid, a fold arrow; folded processes show nothing else
//     [track]               one per thread or stream: pad, one row_h row per depth, pad
//     [counter]             one per counter series
// Items are listed top to bottom with increasing y, so "what is at y" is a binary search, and drawing
// visits only the items that intersect the visible band.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "viewer/trace.h"

namespace qwen3::viewer {

// One trace as the timeline shows it: relative time t = absolute - origin (the trace's start, or an
// alignment point in compare mode).
struct TimelineSource {
  const Trace* trace = nullptr;
  double origin = 0;
};

struct LayoutMetrics {
  float row_h = 20;        // one depth level
  float track_pad = 3;     // above and below a track's rows
  float process_h = 24;    // process header
  float trace_h = 26;      // trace header (compare mode)
  float counter_h = 40;
};

enum class ItemKind : uint8_t { Trace, Process, Track, Counter };

struct LayoutItem {
  ItemKind kind = ItemKind::Track;
  uint16_t source = 0;     // index into the sources
  uint32_t index = 0;      // process / track / counter index in that trace (unused for Trace)
  float y = 0, h = 0;
};

// Per source, per process: folded or not. Missing entries count as unfolded.
struct Folds {
  std::vector<std::vector<uint8_t>> folded;
  bool is_folded(size_t source, uint32_t process) const {
    return source < folded.size() && process < folded[source].size() && folded[source][process];
  }
  void toggle(size_t source, uint32_t process, size_t n_processes);
};

struct Layout {
  std::vector<LayoutItem> items;
  float height = 0;
  std::vector<std::vector<float>> track_top;  // [source][track]: y of the first row, or -1 when not shown

  // Index of the item whose [y, y + h) holds y, or -1.
  int find(float y) const;
  // Items intersecting [y0, y1): [first, last).
  std::pair<size_t, size_t> visible(float y0, float y1) const;
  // Top of row `depth` of a track, or -1 when the track is folded away.
  float row_y(size_t source, uint32_t track, uint32_t depth, const LayoutMetrics& m) const;
};

Layout build_layout(std::span<const TimelineSource> sources, const Folds& folds, const LayoutMetrics& m);

}  // namespace qwen3::viewer
