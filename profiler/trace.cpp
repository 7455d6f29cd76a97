#include "profiler/trace.h"

#include <algorithm>
#include <numeric>

namespace qwen3::prof {

std::string kernel_category(std::string_view name) {
  auto has = [&](std::string_view s) {
    return std::search(name.begin(), name.end(), s.begin(), s.end(),
                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) != name.end();
  };
  for (auto s : {"gemm", "matmul", "linear", "nvjet", "cutlass", "wgmma", "mma"}) {
    if (has(s)) return "gemm";
  }
  for (auto s : {"attention", "softmax", "flash"}) {
    if (has(s)) return "attention";
  }
  if (has("norm")) return "norm";
  return "elementwise";
}

size_t Trace::track(int64_t pid, int64_t tid, const std::string& process_name, const std::string& thread_name,
                    bool gpu) {
  for (size_t i = 0; i < tracks.size(); ++i) {
    if (tracks[i].pid == pid && tracks[i].tid == tid) return i;
  }
  tracks.push_back(Track{pid, tid, process_name, thread_name, gpu});
  return tracks.size() - 1;
}

void Trace::sort() {
  std::vector<size_t> order(events.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Event &x = events[a], &y = events[b];
    if (x.track != y.track) return x.track < y.track;
    if (x.start_ns != y.start_ns) return x.start_ns < y.start_ns;
    return x.dur_ns > y.dur_ns;  // the enclosing range first
  });
  std::vector<size_t> new_index(events.size());
  std::vector<Event> sorted;
  sorted.reserve(events.size());
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    sorted.push_back(std::move(events[order[i]]));
  }
  events = std::move(sorted);
  for (Flow& f : flows) f.from = new_index[f.from], f.to = new_index[f.to];
}

std::string check_nesting(const Trace& trace) {
  Trace t = trace;
  t.sort();
  // Walk each track with a stack of open ranges: each event must end before (or when) its parent ends.
  std::vector<const Event*> stack;
  size_t current_track = SIZE_MAX;
  for (const Event& e : t.events) {
    if (e.track != current_track) stack.clear(), current_track = e.track;
    while (!stack.empty() && stack.back()->start_ns + stack.back()->dur_ns <= e.start_ns) stack.pop_back();
    if (!stack.empty() && e.start_ns + e.dur_ns > stack.back()->start_ns + stack.back()->dur_ns) {
      return "'" + e.name + "' overlaps the end of '" + stack.back()->name + "' on track " +
             t.tracks[e.track].process_name + " / " + t.tracks[e.track].thread_name;
    }
    stack.push_back(&e);
  }
  return "";
}

}  // namespace qwen3::prof
