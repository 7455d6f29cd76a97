#include "viewer/row_boxes.h"

#include <algorithm>

namespace qwen3::viewer {

namespace {

// The algorithm over "n items, item k has start(k) and end(k), both sorted"; `id(k)` names item k
// in the output. Shared by contiguous rows and index lists.
template <class Start, class End, class Id>
void build_boxes(size_t n, Start start, End end, Id id, double origin, const TimeView& v, std::vector<Box>& out,
                 double merge_px) {
  const double t_left = v.t0 + origin, t_right = v.t1() + origin;
  const double px_ns = v.ns_per_px;
  const double merge_ns = merge_px * px_ns;
  // First item that ends after the left edge (ends are sorted): everything before is off-screen.
  auto first_ending_after = [&](size_t lo, double t) {
    size_t hi = n;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (static_cast<double>(end(mid)) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  auto x_of = [&](double t) { return (t - origin - v.t0) / px_ns; };
  size_t k = first_ending_after(0, t_left);
  // An item ending exactly at the left edge with zero width is still visible; the search above skips
  // it, which is harmless (it is at most one pixel).
  while (k < n) {
    const double s = static_cast<double>(start(k));
    if (s >= t_right) break;
    const double e = static_cast<double>(end(k));
    if (e - s >= merge_ns) {  // wide enough: a box of its own
      out.push_back({x_of(s), std::max(x_of(e), x_of(s) + 1.0), id(k), 1, id(k)});
      ++k;
      continue;
    }
    // A small item: grow a merged box from it.
    const size_t run_begin = k;
    double box_end = e;
    size_t next = k + 1;
    const double max_end = s + kMaxMergedPx * px_ns;
    for (;;) {
      if (box_end >= max_end) break;
      // Every item ending before box_end + merge_ns lies within a pixel or two of the box: swallow them all.
      next = first_ending_after(next, box_end + merge_ns);
      if (next > run_begin + 1) box_end = std::max(box_end, static_cast<double>(end(next - 1)));
      if (next >= n) break;
      const double ns = static_cast<double>(start(next)), ne = static_cast<double>(end(next));
      // Stop at a visible gap, at a wide item (drawn on its own) and at the right edge.
      if (ns > box_end + merge_ns || ne - ns >= merge_ns || ns >= t_right) break;
      box_end = ne;
      ++next;
    }
    // Colour: the longest of up to kColorSamples evenly spaced slices of the run.
    const size_t count = next - run_begin;
    size_t rep = run_begin;
    if (count > 1) {
      const size_t step = std::max<size_t>(count / kColorSamples, 1);
      Ns longest = -1;
      for (size_t j = run_begin; j < next; j += step)
        if (end(j) - start(j) > longest) {
          longest = end(j) - start(j);
          rep = j;
        }
    }
    const double x0 = x_of(s);
    out.push_back({x0, std::max(x_of(box_end), x0 + 1.0), id(run_begin), static_cast<uint32_t>(count), id(rep)});
    k = next;
  }
}

}  // namespace

void build_row_boxes(const Trace& trace, const Row& row, double origin, const TimeView& view, std::vector<Box>& out,
                     double merge_px) {
  const Slice* s = trace.slices.data() + row.begin;
  build_boxes(
      row.size(), [s](size_t k) { return s[k].start; }, [s](size_t k) { return s[k].end(); },
      [&row](size_t k) { return static_cast<uint32_t>(row.begin + k); }, origin, view, out, merge_px);
}

void build_list_boxes(const Trace& trace, std::span<const uint32_t> list, double origin, const TimeView& view,
                      std::vector<Box>& out, double merge_px) {
  const Slice* s = trace.slices.data();
  build_boxes(
      list.size(), [&](size_t k) { return s[list[k]].start; }, [&](size_t k) { return s[list[k]].end(); },
      [&](size_t k) { return list[k]; }, origin, view, out, merge_px);
}

}  // namespace qwen3::viewer
