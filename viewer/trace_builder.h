// TraceBuilder: turns events, in whatever order a file lists them, into the sorted, nested Trace of trace.h.
//
// The loader (chrome_json.cpp) calls one method per event; finish() then does the real work once:
//   1. closes "B" slices that never got their "E" at the end of the trace (flagged kUnfinished);
//   2. sorts each track's slices by start, longest first, so an enclosing slice precedes what it contains;
//   3. assigns depths with a stack: pop the open slices that ended at or before this start (and one this slice
//      overlaps only by a hair: consecutive GPU kernels, see trace.h's "row"), the depth is what remains open,
//      push this one. The slice on top of the stack is the direct parent: it gets kHasChildren and loses the
//      child's duration from its self time;
//   4. regroups each track's slices by depth into rows (sorted by start and by end, so binary-searchable);
//   5. orders processes and tracks (sort_index metadata, else numeric id), marks GPU tracks, binds flows
//      to slices, sorts instants and counters;
//   6. gives each name what to show for it (Trace::label_of: on GPU tracks a kernel's short name,
//      profiler/kernel_name.h).
// Times passed in must lie within ±kMaxTimeNs and a slice's ts + dur too (the reader refuses others);
// finish() refuses slices whose durations add up past INT64_MAX (LimitError).
// Invalid events are "problems": in strict mode the first one throws a FormatError naming the event; in
// lenient mode the event is dropped and the message kept (Trace::messages) for the window and stderr.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "viewer/trace.h"

namespace qwen3::viewer {

using ArgList = std::vector<std::pair<std::string, std::string>>;

// A process or thread name that marks a GPU: process "GPU 0: NVIDIA H100", "GPU 0" (Kineto); thread
// "stream 7". Case-insensitive.
bool is_gpu_name(std::string_view process_name, std::string_view thread_name);

class TraceBuilder {
 public:
  TraceBuilder(std::string path, bool strict);

  // The track of thread `tid` in process `pid` (ids as text), created on first use.
  uint32_t track(std::string_view pid, std::string_view tid);
  uint32_t process(std::string_view pid);

  // Events. `args` are (key, value-as-text) pairs; only the first `nargs` are used. `where` describes the
  // event for problem messages ("event #12 (ph X, name \"gemm\", pid 1, tid 2)") and is only called then.
  template <class Where>
  void complete(uint32_t track, Ns ts, Ns dur, std::string_view name, std::string_view cat, const ArgList& args,
                size_t nargs, Where&& where) {
    if (dur < 0) return problem(where() + ": negative duration (" + std::to_string(dur) + " ns)");
    add_slice(track, ts, dur, name, cat, args, nargs, 0);
  }
  void begin(uint32_t track, Ns ts, std::string_view name, std::string_view cat, const ArgList& args, size_t nargs);
  template <class Where>
  void end(uint32_t track, Ns ts, const ArgList& args, size_t nargs, Where&& where) {
    if (!end_slice(track, ts, args, nargs)) problem(where() + ": " + end_error_);
  }
  void instant(uint32_t track, Ns ts, std::string_view name, std::string_view cat, char scope, const ArgList& args,
               size_t nargs);
  // One sample of counter `name` (a series of it) in process `process`.
  void counter(uint32_t process, std::string_view name, Ns ts, double value);
  // Flow endpoints: ph 's' (start), 't' (step: ends one arrow, starts the next), 'f' (finish). `key` is the
  // matching key (category and id). `enclosing`: bind to the slice containing ts (always for 's' and 't';
  // for 'f' when "bp":"e"), otherwise to the next slice starting at or after ts.
  void flow(char ph, uint32_t track, Ns ts, std::string_view key, bool enclosing, std::string_view name);

  void process_name(uint32_t process, std::string_view name);
  void process_sort_index(uint32_t process, int64_t index);
  // Kineto's "process_labels" ("GPU 0"): shown after the name, "python3 (GPU 0)", and a GPU mark.
  void process_labels(uint32_t process, std::string_view labels);
  void thread_name(uint32_t track, std::string_view name);
  void thread_sort_index(uint32_t track, int64_t index);
  void metadata(std::string key, std::string value);

  // An invalid event: throws FormatError(path: message) in strict mode, else counts and records it.
  void problem(const std::string& message);
  // Something worth telling that is not an error (ignored phases, unbound flows): recorded, never thrown.
  void note(const std::string& message);
  void count_event() { ++file_events_; }
  uint64_t events() const { return file_events_; }

  // Builds the Trace. FormatError when it holds nothing with a time ("empty trace").
  Trace finish();

 private:
  struct FlowEnd {
    uint32_t track = 0;
    Ns ts = 0;
    bool enclosing = true;
    uint32_t name = kNone;
  };
  struct PendingFlow {
    FlowEnd from, to;
  };
  struct TrackInfo {
    uint32_t process = 0;
    std::string tid;
    std::string name;
    bool has_name = false;
    int64_t sort_index = 0;
    bool has_sort_index = false;
    std::vector<uint32_t> open;  // "B" slices not yet ended (indices into slices_), innermost last
    std::vector<Instant> instants;
  };
  struct ProcessInfo {
    std::string pid;
    std::string name;
    bool has_name = false;
    std::string labels;
    int64_t sort_index = 0;
    bool has_sort_index = false;
    std::vector<uint32_t> tracks;
    std::unordered_map<std::string, uint32_t> counter_index;  // counter name -> index into counters_
  };

  void add_slice(uint32_t track, Ns ts, Ns dur, std::string_view name, std::string_view cat, const ArgList& args,
                 size_t nargs, uint32_t flags);
  bool end_slice(uint32_t track, Ns ts, const ArgList& args, size_t nargs);
  uint32_t store_args(const ArgList& args, size_t nargs);
  uint32_t bind_flow_end(const Trace& t, const FlowEnd& e) const;

  Trace trace_;  // strings, args and metadata are written straight into it
  bool strict_;
  std::vector<Slice> slices_;  // in file order until finish()
  std::vector<TrackInfo> tracks_;
  std::vector<ProcessInfo> processes_;
  std::vector<Counter> counters_;
  std::unordered_map<std::string, uint32_t> track_index_;    // pid '\x1f' tid -> track
  std::unordered_map<std::string, uint32_t> process_index_;  // pid -> process
  std::string key_buf_;
  std::unordered_map<std::string, FlowEnd> open_flow_starts_;   // key -> 's' waiting for its 'f'
  std::unordered_map<std::string, FlowEnd> open_flow_finishes_; // key -> 'f' seen before its 's'
  std::vector<PendingFlow> flows_;
  std::string end_error_;
  uint64_t file_events_ = 0;
  uint64_t problems_ = 0;
  uint64_t unfinished_ = 0;
  std::vector<std::string> messages_;
};

}  // namespace qwen3::viewer
