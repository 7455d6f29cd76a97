#include "viewer/interval.h"

#include <algorithm>

namespace qwen3::viewer {

std::pair<uint32_t, uint32_t> overlapping(const Trace& t, const Row& row, Ns a, Ns b) {
  const Slice* first = t.slices.data() + row.begin;
  const Slice* last = t.slices.data() + row.end;
  // Overlap means end > a and start < b. Ends and starts are both sorted within a row.
  const Slice* lo = std::upper_bound(first, last, a, [](Ns v, const Slice& s) { return v < s.end(); });
  const Slice* hi = std::lower_bound(lo, last, b, [](const Slice& s, Ns v) { return s.start < v; });
  return {static_cast<uint32_t>(lo - t.slices.data()), static_cast<uint32_t>(hi - t.slices.data())};
}

std::vector<TrackBusy> busy_in_interval(const Trace& t, Ns a, Ns b) {
  std::vector<TrackBusy> out;
  if (b < a) std::swap(a, b);
  const double len = static_cast<double>(std::max<Ns>(b - a, 1));
  for (const Process& p : t.processes) {
    for (uint32_t k : p.tracks) {
      const Track& tr = t.tracks[k];
      if (tr.rows.empty()) continue;
      TrackBusy r;
      r.track = k;
      const auto [lo, hi] = overlapping(t, tr.rows[0], a, b);
      Ns covered = a;  // [a, covered) is counted already
      for (uint32_t i = lo; i < hi; ++i) {
        const Slice& s = t.slices[i];
        const Ns from = std::max(s.start, covered), to = std::min(s.end(), b);
        if (to > from) r.busy += to - from;
        covered = std::max(covered, to);
      }
      for (const Row& row : tr.rows) {
        const auto [l, h] = overlapping(t, row, a, b);
        r.slices += h - l;
      }
      r.fraction = static_cast<double>(r.busy) / len;
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace qwen3::viewer
