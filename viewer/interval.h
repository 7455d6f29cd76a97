// Measuring an interval (a drag across the time ruler): for each track, how much of [a, b) it was busy.
//
// A track is busy while any of its slices runs. Depth-0 slices cover exactly that time (everything deeper
// nests inside them) and are sorted by start and by end, so busy time = the sum over depth-0 slices of their
// overlap with [a, b), each clipped to start where the one before it ended (neighbours may overlap by a hair):
// two binary searches and a sum, without building a union. On a GPU stream that fraction is its
// utilisation; on a host thread, the time it spent inside ranges.
#pragma once
#include <cstdint>
#include <vector>

#include "viewer/trace.h"

namespace qwen3::viewer {

struct TrackBusy {
  uint32_t track = 0;
  Ns busy = 0;            // time covered by the track's slices within [a, b)
  double fraction = 0;    // busy / (b - a)
  uint64_t slices = 0;    // slices (any depth) that overlap [a, b)
};

// Every track that has slices, in display order; times absolute (the trace's own clock).
std::vector<TrackBusy> busy_in_interval(const Trace& trace, Ns a, Ns b);

// Slices of one row overlapping [a, b): [first, last) as indices into Trace::slices.
std::pair<uint32_t, uint32_t> overlapping(const Trace& trace, const Row& row, Ns a, Ns b);

}  // namespace qwen3::viewer
