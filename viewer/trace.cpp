#include "viewer/trace.h"

#include <algorithm>

namespace qwen3::viewer {

uint32_t StringTable::intern(std::string_view s) {
  if (auto it = index_.find(s); it != index_.end()) return it->second;
  const auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  index_.emplace(std::string_view(strings_.back()), id);
  return id;
}

uint32_t StringTable::find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNone : it->second;
}

std::vector<uint32_t> Trace::flows_of(uint32_t slice) const {
  std::vector<uint32_t> out;
  auto it = std::lower_bound(flow_index.begin(), flow_index.end(), std::make_pair(slice, 0u));
  for (; it != flow_index.end() && it->first == slice; ++it) out.push_back(it->second);
  return out;
}

uint32_t Trace::slice_at(uint32_t track, uint32_t depth, Ns t) const {
  const Track& tr = tracks[track];
  if (depth >= tr.rows.size()) return kNone;
  const Row& row = tr.rows[depth];
  // A row's ends are sorted like its starts: the first slice ending after t is the candidate that can contain t
  // (where two neighbours overlap by a hair, the earlier one).
  const Slice* first = slices.data() + row.begin;
  const Slice* last = slices.data() + row.end;
  const Slice* it = std::upper_bound(first, last, t, [](Ns v, const Slice& s) { return v < s.end(); });
  if (it != last && it->start <= t) return static_cast<uint32_t>(it - slices.data());
  // An empty slice exactly at t (end == t) sits just before: accept it.
  if (it != first && (it - 1)->dur == 0 && (it - 1)->start == t) return static_cast<uint32_t>(it - 1 - slices.data());
  return kNone;
}

uint32_t Trace::parent_of(uint32_t slice) const {
  const Slice& s = slices[slice];
  if (s.depth == 0) return kNone;
  // Depth assignment (trace_builder.cpp) puts a slice one row below the slice that was open at its start:
  // the one with start <= s.start < end: the first slice of that row ending after s.start.
  const Row& row = tracks[s.track].rows[s.depth - 1];
  const Slice* first = slices.data() + row.begin;
  const Slice* last = slices.data() + row.end;
  const Slice* it = std::upper_bound(first, last, s.start, [](Ns v, const Slice& p) { return v < p.end(); });
  if (it != last && it->start <= s.start) return static_cast<uint32_t>(it - slices.data());
  return kNone;
}

std::string Trace::track_label(uint32_t track) const {
  const Track& t = tracks[track];
  return processes[t.process].name + " / " + t.name;
}

bool Trace::is_basis(const Slice& s) const {
  if (s.flags & kHasChildren) return false;
  if (!has_gpu) return true;
  // On GPU tracks, annotations projected from the host (NVTX ranges, Kineto's gpu_user_annotation) are not work:
  // the kernels under them are.
  const std::string_view cat = s.cat == kNone ? std::string_view() : strings[s.cat];
  return tracks[s.track].gpu && cat != "nvtx" && cat != "gpu_user_annotation";
}

}  // namespace qwen3::viewer
