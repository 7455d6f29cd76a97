// The viewer's in-memory trace: compact arrays built once by the loader and never changed afterwards, so
// that a million slices cost about 50 MB and every per-frame query is a binary search.
//
// Vocabulary (the same as Perfetto's and Tracy's):
//   slice    a named interval on a track (a Chrome "X" event, or a matched "B"/"E" pair)
//   track    one thread of a process, or one stream of a GPU: its slices nest and are stacked by depth
//   row      the slices of one track at one depth; they do not overlap, except that a slice may start a hair
//            (under 1 µs, and under half of either) before its predecessor ends, as kernels replayed from a
//            CUDA graph do. Both their starts and their ends are sorted, so "the first slice ending after t"
//            is a binary search
//   instant  a point in time on a track ("i"/"I" events)
//   counter  a value over time ("C" events), one counter track per (process, counter name, series)
//   flow     an arrow from one slice to another ("s"/"f" events), e.g. a kernel launch to its kernel
//
// Times are int64 nanoseconds on the trace's own clock (Chrome JSON carries microseconds with up to three
// decimals; the loader converts them exactly, without going through floating point). Every time lies within
// ±kMaxTimeNs and the durations of all slices add up to at most INT64_MAX (the loader refuses other files), so
// no end, span, difference or sum of them overflows.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace qwen3::viewer {

using Ns = int64_t;
inline constexpr uint32_t kNone = 0xffffffffu;

// The viewer's time range: ±(2^62 - 1) ns, about 146 years either side of 0 (Unix-epoch clocks included). A
// file with a time outside it is refused; inside it the difference of any two times fits in an Ns.
inline constexpr Ns kMaxTimeNs = (Ns{1} << 62) - 1;

// A time computed in floating point (a view position plus an origin) as whole nanoseconds, clamped to the
// viewer's time range (NaN: 0), so that converting a position far off the trace never overflows.
inline Ns clamp_to_time_range(double t) {
  if (std::isnan(t)) return 0;
  const double limit = static_cast<double>(kMaxTimeNs);
  return std::clamp<Ns>(std::llround(std::clamp(t, -limit, limit)), -kMaxTimeNs, kMaxTimeNs);
}

// Interned strings: each distinct name, category or argument key is stored once and named by a uint32 id.
// Storage is a deque, whose elements never move, so the index can hold string_views into it.
class StringTable {
 public:
  StringTable() = default;
  StringTable(StringTable&&) = default;
  StringTable& operator=(StringTable&&) = default;
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;

  uint32_t intern(std::string_view s);
  uint32_t find(std::string_view s) const;  // kNone if absent
  std::string_view operator[](uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, uint32_t> index_;
};

// One slice. 48 bytes: the whole budget for a million of them is ~48 MB.
struct Slice {
  Ns start = 0;
  Ns dur = 0;
  Ns self = 0;               // dur minus the time covered by direct children
  uint32_t name = kNone;     // StringTable id
  uint32_t cat = kNone;      // StringTable id of the category ("" when the event had none)
  uint32_t args_begin = 0;   // index into Trace::args
  uint16_t args_count = 0;
  uint16_t depth = 0;        // 0 = outermost on its track
  uint32_t track = 0;        // index into Trace::tracks
  uint32_t flags = 0;        // kHasChildren | kUnfinished

  Ns end() const { return start + dur; }
};
inline constexpr uint32_t kHasChildren = 1u << 0;  // some slice nests directly inside this one
inline constexpr uint32_t kUnfinished = 1u << 1;   // a "B" with no "E": drawn up to the end of the trace

// An argument: key id and the value as text (strings without quotes, numbers as written, arrays and
// objects as compact JSON), stored in Trace::arg_text.
struct Arg {
  uint32_t key = 0;
  uint32_t len = 0;
  uint64_t offset = 0;
};

struct Instant {
  Ns ts = 0;
  uint32_t name = kNone;
  uint32_t cat = kNone;
  uint32_t args_begin = 0;
  uint16_t args_count = 0;
  char scope = 't';  // 't' thread, 'p' process, 'g' global
};

// Slices [begin, end) of Trace::slices, sorted by start and by end; disjoint but for hairline overlaps (above).
struct Row {
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
};

struct Track {
  uint32_t process = 0;        // index into Trace::processes
  std::string tid;             // as written in the file (numbers as decimal text)
  std::string name;            // thread_name metadata, or "thread <tid>"
  int64_t sort_index = 0;      // thread_sort_index metadata, else the numeric tid
  bool gpu = false;            // a GPU stream (see is_gpu_name in trace_builder.cpp)
  std::vector<Row> rows;       // rows[d] = the slices at depth d
  std::vector<Instant> instants;  // sorted by ts
  uint32_t slice_count = 0;
};

// One counter series: ("C" event name, args key). Values are step-wise constant from one sample to the next.
struct Counter {
  uint32_t process = 0;
  std::string name;            // "name" or "name.series" when an event carries several series
  std::vector<Ns> ts;          // sorted
  std::vector<double> value;
  double min = 0, max = 0;
};

struct Process {
  std::string pid;             // as written in the file
  std::string name;            // process_name metadata, or "process <pid>"
  int64_t sort_index = 0;      // process_sort_index metadata, else the numeric pid
  bool gpu = false;            // every track of it is a GPU stream
  std::vector<uint32_t> tracks;    // indices into Trace::tracks, in display order
  std::vector<uint32_t> counters;  // indices into Trace::counters
};

// An arrow between two slices (indices into Trace::slices), at the flow events' own times.
struct Flow {
  uint32_t from = 0, to = 0;
  Ns from_ts = 0, to_ts = 0;
  uint32_t name = kNone;
};

struct Trace {
  std::string path;            // what was opened (for titles and messages)
  StringTable strings;
  std::vector<Slice> slices;   // grouped by track, then by depth (rows), then sorted by start
  std::vector<Arg> args;
  std::string arg_text;
  std::vector<Track> tracks;
  std::vector<Process> processes;  // in display order
  std::vector<Counter> counters;
  std::vector<Flow> flows;
  std::vector<std::pair<uint32_t, uint32_t>> flow_index;  // (slice, flow), sorted: flows touching a slice
  std::vector<std::pair<std::string, std::string>> metadata;  // the file's "otherData" (device, backend, ...)
  std::vector<uint32_t> display;  // per string id: the id of what to show for it (label_of)

  Ns start = 0, end = 0;       // the earliest and latest time of anything in the trace
  bool has_gpu = false;        // some GPU track has slices
  uint64_t file_events = 0;    // events read from the file, of every phase
  uint64_t problems = 0;       // events dropped as invalid (see messages)
  std::vector<std::string> messages;  // the first problems and notes, one line each

  std::string_view str(uint32_t id) const { return id == kNone ? std::string_view{} : strings[id]; }
  std::string_view name(const Slice& s) const { return str(s.name); }
  // What to show for a name: a kernel's short name (profiler/kernel_name.h), else the name itself. The full
  // name stays in tooltips and the details panel.
  std::string_view label_of(uint32_t name) const { return name < display.size() ? str(display[name]) : str(name); }
  std::string_view label(const Slice& s) const { return label_of(s.name); }
  std::string_view category(const Slice& s) const { return str(s.cat); }
  std::span<const Arg> args_of(uint32_t begin, uint16_t count) const { return {args.data() + begin, count}; }
  std::string_view arg_value(const Arg& a) const { return std::string_view(arg_text).substr(a.offset, a.len); }
  std::span<const Slice> row_slices(const Row& r) const { return {slices.data() + r.begin, r.size()}; }
  // Flows that start or end at slice `i`.
  std::vector<uint32_t> flows_of(uint32_t slice) const;
  // The slice directly containing slice `i` (one depth up, same track), or kNone.
  uint32_t parent_of(uint32_t slice) const;
  // Index of the slice on `track` at `depth` that contains time t (start <= t < end, or t == start for an
  // empty slice), or kNone.
  uint32_t slice_at(uint32_t track, uint32_t depth, Ns t) const;
  // "GPU 0 / stream 7": the track's process and thread names.
  std::string track_label(uint32_t track) const;
  // Slices that are "the work": leaves on GPU tracks when the trace has any, otherwise leaves anywhere
  // (a CPU-backend trace: the ops). Statistics' share column is of these slices' total time.
  bool is_basis(const Slice& s) const;

  Trace() = default;
  Trace(Trace&&) = default;
  Trace& operator=(Trace&&) = default;
};

}  // namespace qwen3::viewer
