#include "viewer/layout.h"

#include <algorithm>

namespace qwen3::viewer {

void Folds::toggle(size_t source, uint32_t process, size_t n_processes) {
  if (folded.size() <= source) folded.resize(source + 1);
  if (folded[source].size() < n_processes) folded[source].resize(n_processes, 0);
  folded[source][process] ^= 1;
}

int Layout::find(float y) const {
  auto it = std::upper_bound(items.begin(), items.end(), y, [](float v, const LayoutItem& i) { return v < i.y; });
  if (it == items.begin()) return -1;
  --it;
  return y < it->y + it->h ? static_cast<int>(it - items.begin()) : -1;
}

std::pair<size_t, size_t> Layout::visible(float y0, float y1) const {
  auto first = std::upper_bound(items.begin(), items.end(), y0, [](float v, const LayoutItem& i) { return v < i.y + i.h; });
  auto last = std::lower_bound(first, items.end(), y1, [](const LayoutItem& i, float v) { return i.y < v; });
  return {static_cast<size_t>(first - items.begin()), static_cast<size_t>(last - items.begin())};
}

float Layout::row_y(size_t source, uint32_t track, uint32_t depth, const LayoutMetrics& m) const {
  if (source >= track_top.size() || track >= track_top[source].size()) return -1;
  const float top = track_top[source][track];
  return top < 0 ? -1 : top + static_cast<float>(depth) * m.row_h;
}

Layout build_layout(std::span<const TimelineSource> sources, const Folds& folds, const LayoutMetrics& m) {
  Layout l;
  float y = 0;
  l.track_top.resize(sources.size());
  for (size_t s = 0; s < sources.size(); ++s) {
    const Trace& t = *sources[s].trace;
    l.track_top[s].assign(t.tracks.size(), -1.0f);
    if (sources.size() > 1) {
      l.items.push_back({ItemKind::Trace, static_cast<uint16_t>(s), 0, y, m.trace_h});
      y += m.trace_h;
    }
    for (uint32_t p = 0; p < t.processes.size(); ++p) {
      const Process& proc = t.processes[p];
      l.items.push_back({ItemKind::Process, static_cast<uint16_t>(s), p, y, m.process_h});
      y += m.process_h;
      if (folds.is_folded(s, p)) continue;
      for (uint32_t k : proc.tracks) {
        const auto rows = static_cast<float>(std::max<size_t>(t.tracks[k].rows.size(), 1));
        const float h = 2 * m.track_pad + rows * m.row_h;
        l.items.push_back({ItemKind::Track, static_cast<uint16_t>(s), k, y, h});
        l.track_top[s][k] = y + m.track_pad;
        y += h;
      }
      for (uint32_t c : proc.counters) {
        l.items.push_back({ItemKind::Counter, static_cast<uint16_t>(s), c, y, m.counter_h});
        y += m.counter_h;
      }
    }
  }
  l.height = y;
  return l;
}

}  // namespace qwen3::viewer
