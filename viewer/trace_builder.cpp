#include "viewer/trace_builder.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "profiler/kernel_name.h"
#include "viewer/trace_input.h"

namespace qwen3::viewer {

namespace {

constexpr size_t kMaxMessages = 20;  // problems and notes kept verbatim; the rest are only counted

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "123" -> 123; anything else -> nullopt-like false.
bool parse_int(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Display order of ids: an explicit sort index first, else the numeric id, else after every number.
struct OrderKey {
  int64_t primary;
  std::string_view name;
  std::string_view id;
  bool operator<(const OrderKey& o) const {
    if (primary != o.primary) return primary < o.primary;
    if (name != o.name) return name < o.name;
    return id < o.id;
  }
};
OrderKey order_key(bool has_sort_index, int64_t sort_index, std::string_view id, std::string_view name) {
  int64_t numeric = 0;
  if (has_sort_index) return {sort_index, name, id};
  if (parse_int(id, numeric)) return {numeric, name, id};
  return {std::numeric_limits<int64_t>::max(), name, id};
}

// Kineto's categories of device work: a track made mostly of these is a GPU stream whatever its name.
bool is_gpu_category(std::string_view cat) {
  return cat == "kernel" || cat == "gpu_memcpy" || cat == "gpu_memset" || cat == "gpu_user_annotation" ||
         cat == "Kernel" || cat == "Memcpy" || cat == "Memset";
}

// True when `open` (started no later than s and still open at s.start) holds more than half of s. The
// overlap is compared with half of s.dur rather than doubled: a duration may be close to 2^63 ns.
bool holds_most_of(const Slice& open, const Slice& s) {
  if (open.end() >= s.end()) return true;
  return open.end() - s.start > s.dur / 2;
}

// True when s starts a hair before `open` ends: by less than kHairNs, and by less than half of either slice.
// Kernels replayed from a CUDA graph do that all the time (the next kernel starts while the previous drains);
// they are consecutive, and are drawn on one row. s then ends after `open` does, so the row's ends stay sorted.
constexpr Ns kHairNs = 1000;
bool overlaps_by_a_hair(const Slice& open, const Slice& s) {
  const Ns overlap = open.end() - s.start;  // > 0: open is still open at s.start
  return overlap < kHairNs && 2 * overlap < s.dur && 2 * overlap < open.dur;
}

}  // namespace

bool is_gpu_name(std::string_view process_name, std::string_view thread_name) {
  const std::string p = lower(process_name), t = lower(thread_name);
  return p.find("gpu") != std::string::npos || t.rfind("stream", 0) == 0;
}

TraceBuilder::TraceBuilder(std::string path, bool strict) : strict_(strict) { trace_.path = std::move(path); }

uint32_t TraceBuilder::process(std::string_view pid) {
  if (auto it = process_index_.find(std::string(pid)); it != process_index_.end()) return it->second;
  const auto id = static_cast<uint32_t>(processes_.size());
  ProcessInfo p;
  p.pid = std::string(pid);
  processes_.push_back(std::move(p));
  process_index_.emplace(std::string(pid), id);
  return id;
}

uint32_t TraceBuilder::track(std::string_view pid, std::string_view tid) {
  // One lookup per event: the key buffer is reused, so the common case allocates nothing.
  key_buf_.assign(pid);
  key_buf_.push_back('\x1f');
  key_buf_.append(tid);
  if (auto it = track_index_.find(key_buf_); it != track_index_.end()) return it->second;
  const uint32_t proc = process(pid);
  const auto id = static_cast<uint32_t>(tracks_.size());
  TrackInfo t;
  t.process = proc;
  t.tid = std::string(tid);
  tracks_.push_back(std::move(t));
  processes_[proc].tracks.push_back(id);
  track_index_.emplace(key_buf_, id);
  return id;
}

uint32_t TraceBuilder::store_args(const ArgList& args, size_t nargs) {
  const auto begin = static_cast<uint32_t>(trace_.args.size());
  nargs = std::min<size_t>(nargs, std::numeric_limits<uint16_t>::max());
  for (size_t i = 0; i < nargs; ++i) {
    Arg a;
    a.key = trace_.strings.intern(args[i].first);
    a.offset = trace_.arg_text.size();
    a.len = static_cast<uint32_t>(std::min<size_t>(args[i].second.size(), std::numeric_limits<uint32_t>::max()));
    trace_.arg_text.append(args[i].second, 0, a.len);
    trace_.args.push_back(a);
  }
  return begin;
}

void TraceBuilder::add_slice(uint32_t track, Ns ts, Ns dur, std::string_view name, std::string_view cat,
                             const ArgList& args, size_t nargs, uint32_t flags) {
  Slice s;
  s.start = ts;
  s.dur = dur;
  s.self = dur;
  s.name = trace_.strings.intern(name);
  s.cat = trace_.strings.intern(cat);
  s.args_begin = store_args(args, nargs);
  s.args_count = static_cast<uint16_t>(std::min<size_t>(nargs, std::numeric_limits<uint16_t>::max()));
  s.track = track;
  s.flags = flags;
  slices_.push_back(s);
}

void TraceBuilder::begin(uint32_t track, Ns ts, std::string_view name, std::string_view cat, const ArgList& args,
                         size_t nargs) {
  add_slice(track, ts, 0, name, cat, args, nargs, 0);
  tracks_[track].open.push_back(static_cast<uint32_t>(slices_.size() - 1));
}

bool TraceBuilder::end_slice(uint32_t track, Ns ts, const ArgList& args, size_t nargs) {
  // Chrome semantics: an "E" closes the innermost open "B" of its thread, whatever its name.
  std::vector<uint32_t>& open = tracks_[track].open;
  if (open.empty()) {
    end_error_ = "\"E\" with no open \"B\" on its thread (an end before any begin); dropped";
    return false;
  }
  Slice& s = slices_[open.back()];
  if (ts < s.start) {
    end_error_ = "\"E\" earlier than its \"B\" (\"" + std::string(trace_.strings[s.name]) + "\" began " +
                 std::to_string(s.start - ts) + " ns later); dropped";
    return false;
  }
  s.dur = s.self = ts - s.start;
  if (nargs > 0) {
    // Arguments of the "E" join those of the "B": copy both to the end so the slice's range stays contiguous.
    ArgList merged;
    for (const Arg& a : trace_.args_of(s.args_begin, s.args_count))
      merged.emplace_back(std::string(trace_.strings[a.key]), std::string(trace_.arg_value(a)));
    for (size_t i = 0; i < nargs; ++i) merged.push_back(args[i]);
    s.args_begin = store_args(merged, merged.size());
    s.args_count = static_cast<uint16_t>(std::min<size_t>(merged.size(), std::numeric_limits<uint16_t>::max()));
  }
  open.pop_back();
  return true;
}

void TraceBuilder::instant(uint32_t track, Ns ts, std::string_view name, std::string_view cat, char scope,
                           const ArgList& args, size_t nargs) {
  Instant i;
  i.ts = ts;
  i.name = trace_.strings.intern(name);
  i.cat = trace_.strings.intern(cat);
  i.args_begin = store_args(args, nargs);
  i.args_count = static_cast<uint16_t>(std::min<size_t>(nargs, std::numeric_limits<uint16_t>::max()));
  i.scope = scope;
  tracks_[track].instants.push_back(i);
}

void TraceBuilder::counter(uint32_t process, std::string_view name, Ns ts, double value) {
  ProcessInfo& p = processes_[process];
  auto [it, fresh] = p.counter_index.try_emplace(std::string(name), static_cast<uint32_t>(counters_.size()));
  if (fresh) {
    Counter c;
    c.process = process;
    c.name = std::string(name);
    counters_.push_back(std::move(c));
  }
  Counter& c = counters_[it->second];
  c.ts.push_back(ts);
  c.value.push_back(value);
}

void TraceBuilder::flow(char ph, uint32_t track, Ns ts, std::string_view key, bool enclosing, std::string_view name) {
  FlowEnd e{track, ts, enclosing, trace_.strings.intern(name)};
  const std::string k(key);
  if (ph == 's') {
    if (auto it = open_flow_finishes_.find(k); it != open_flow_finishes_.end()) {  // the 'f' came first
      flows_.push_back({e, it->second});
      open_flow_finishes_.erase(it);
    } else {
      open_flow_starts_[k] = e;
    }
    return;
  }
  // 'f' or 't': ends the arrow from the open start; a 't' then starts the next arrow of the chain.
  if (auto it = open_flow_starts_.find(k); it != open_flow_starts_.end()) {
    flows_.push_back({it->second, e});
    if (ph == 't') it->second = e;
    else open_flow_starts_.erase(it);
  } else if (ph == 'f') {
    open_flow_finishes_[k] = e;
  } else {
    open_flow_starts_[k] = e;
  }
}

void TraceBuilder::process_name(uint32_t process, std::string_view name) {
  processes_[process].name = std::string(name);
  processes_[process].has_name = true;
}
void TraceBuilder::process_sort_index(uint32_t process, int64_t index) {
  processes_[process].sort_index = index;
  processes_[process].has_sort_index = true;
}
void TraceBuilder::process_labels(uint32_t process, std::string_view labels) {
  processes_[process].labels = std::string(labels);
}
void TraceBuilder::thread_name(uint32_t track, std::string_view name) {
  tracks_[track].name = std::string(name);
  tracks_[track].has_name = true;
}
void TraceBuilder::thread_sort_index(uint32_t track, int64_t index) {
  tracks_[track].sort_index = index;
  tracks_[track].has_sort_index = true;
}
void TraceBuilder::metadata(std::string key, std::string value) {
  trace_.metadata.emplace_back(std::move(key), std::move(value));
}

void TraceBuilder::problem(const std::string& message) {
  if (strict_) throw FormatError(trace_.path + ": " + message);
  ++problems_;
  if (messages_.size() < kMaxMessages) messages_.push_back(message);
}

void TraceBuilder::note(const std::string& message) {
  if (messages_.size() < kMaxMessages) messages_.push_back(message);
}

uint32_t TraceBuilder::bind_flow_end(const Trace& t, const FlowEnd& e) const {
  const Track& tr = t.tracks[e.track];
  if (e.enclosing) {
    // The innermost slice open at ts: search from the deepest row up.
    for (size_t d = tr.rows.size(); d-- > 0;) {
      const uint32_t s = t.slice_at(e.track, static_cast<uint32_t>(d), e.ts);
      if (s != kNone) return s;
    }
    return kNone;
  }
  // The next slice: the earliest start at or after ts over all rows (the shallowest on a tie).
  uint32_t best = kNone;
  for (const Row& row : tr.rows) {
    const Slice* first = t.slices.data() + row.begin;
    const Slice* last = t.slices.data() + row.end;
    const Slice* it = std::lower_bound(first, last, e.ts, [](const Slice& s, Ns v) { return s.start < v; });
    if (it != last && (best == kNone || it->start < t.slices[best].start))
      best = static_cast<uint32_t>(it - t.slices.data());
  }
  return best;
}

Trace TraceBuilder::finish() {
  Trace& t = trace_;

  // ---- the time range of everything with a time ------------------------------------------------------
  Ns lo = std::numeric_limits<Ns>::max(), hi = std::numeric_limits<Ns>::min();
  auto see = [&](Ns a, Ns b) {
    lo = std::min(lo, a);
    hi = std::max(hi, b);
  };
  std::vector<uint8_t> open_flag(slices_.size(), 0);
  for (const TrackInfo& tr : tracks_)
    for (uint32_t i : tr.open) open_flag[i] = 1;
  for (size_t i = 0; i < slices_.size(); ++i)
    if (!open_flag[i]) see(slices_[i].start, slices_[i].end());
    else see(slices_[i].start, slices_[i].start);
  for (const TrackInfo& tr : tracks_)
    for (const Instant& in : tr.instants) see(in.ts, in.ts);
  for (const Counter& c : counters_)
    for (Ns ts : c.ts) see(ts, ts);
  if (lo > hi) {
    const std::string what = file_events_ == 0 ? "it holds no events"
                                               : "none of its " + std::to_string(file_events_) +
                                                     " events has a time (only metadata or ignored phases)";
    throw FormatError(t.path + ": empty trace: " + what);
  }
  t.start = lo;
  t.end = hi;

  // ---- 1. "B" without "E": drawn to the end of the trace ---------------------------------------------
  for (TrackInfo& tr : tracks_) {
    for (uint32_t i : tr.open) {
      slices_[i].dur = slices_[i].self = hi - slices_[i].start;
      slices_[i].flags |= kUnfinished;
      ++unfinished_;
    }
    tr.open.clear();
  }
  if (unfinished_ > 0)
    note(std::to_string(unfinished_) + " \"B\" event(s) never ended; drawn up to the end of the trace");

  // ---- every sum the statistics take (totals, self times, shares) is part of this one: it must fit -----
  Ns all_durations = 0;
  for (const Slice& s : slices_)
    if (__builtin_add_overflow(all_durations, s.dur, &all_durations))
      throw LimitError(t.path + ": the durations of its slices add up to more than 2^63 ns (292 years), more than "
                       "the viewer's statistics can sum");

  // ---- 2. group by track (counting sort), then order each track by start, longest first -------------
  const size_t n = slices_.size();
  std::vector<uint32_t> track_begin(tracks_.size() + 1, 0);
  for (const Slice& s : slices_) ++track_begin[s.track + 1];
  std::partial_sum(track_begin.begin(), track_begin.end(), track_begin.begin());
  std::vector<uint32_t> order(n);
  {
    std::vector<uint32_t> fill(track_begin.begin(), track_begin.end() - 1);
    for (uint32_t i = 0; i < n; ++i) order[fill[slices_[i].track]++] = i;
  }
  for (size_t tr = 0; tr < tracks_.size(); ++tr) {
    std::sort(order.begin() + track_begin[tr], order.begin() + track_begin[tr + 1], [&](uint32_t a, uint32_t b) {
      const Slice &x = slices_[a], &y = slices_[b];
      if (x.start != y.start) return x.start < y.start;
      if (x.dur != y.dur) return x.dur > y.dur;
      return a < b;  // file order: stable
    });
  }

  // ---- 3. depths with a stack of open slices; parents learn about their children ---------------------
  std::vector<uint32_t> stack;
  std::vector<uint32_t> depth_count;  // per track, reused
  t.tracks.resize(tracks_.size());
  t.slices.resize(n);
  for (size_t tr = 0; tr < tracks_.size(); ++tr) {
    stack.clear();
    depth_count.clear();
    for (uint32_t k = track_begin[tr]; k < track_begin[tr + 1]; ++k) {
      Slice& s = slices_[order[k]];
      // Close what ended at or before s starts, and a predecessor s overlaps only by a hair (s takes its row).
      while (!stack.empty() && (slices_[stack.back()].end() <= s.start ||
                                overlaps_by_a_hair(slices_[stack.back()], s)))
        stack.pop_back();
      if (stack.size() >= std::numeric_limits<uint16_t>::max())
        throw FormatError(t.path + ": slices nest deeper than 65535 levels on one thread");
      if (!stack.empty()) {
        Slice& parent = slices_[stack.back()];
        // s goes one row below whatever it overlaps by more than a hair, so it is never drawn over it. But it is
        // a child only when the open slice holds most of it; otherwise (async work, clock skew) the open slice
        // stays a leaf.
        if (holds_most_of(parent, s)) parent.flags |= kHasChildren;
        // A child that sticks out of its parent (clock skew, async work) only takes what overlaps.
        parent.self -= std::min(s.end(), parent.end()) - s.start;
      }
      s.depth = static_cast<uint16_t>(stack.size());
      if (depth_count.size() <= s.depth) depth_count.resize(s.depth + 1, 0);
      ++depth_count[s.depth];
      stack.push_back(order[k]);
    }
    // ---- 4. rows: a stable counting sort by depth keeps each row sorted by start ---------------------
    Track& out = t.tracks[tr];
    out.rows.resize(depth_count.size());
    uint32_t pos = track_begin[tr];
    for (size_t d = 0; d < depth_count.size(); ++d) {
      out.rows[d] = {pos, pos + depth_count[d]};
      pos += depth_count[d];
    }
    std::vector<uint32_t> fill(depth_count.size());
    for (size_t d = 0; d < depth_count.size(); ++d) fill[d] = out.rows[d].begin;
    for (uint32_t k = track_begin[tr]; k < track_begin[tr + 1]; ++k) {
      const Slice& s = slices_[order[k]];
      t.slices[fill[s.depth]++] = s;
    }
    out.slice_count = track_begin[tr + 1] - track_begin[tr];
  }
  std::vector<Slice>().swap(slices_);
  std::vector<uint32_t>().swap(order);

  // ---- 5. tracks and processes: names, GPU marks, display order ---------------------------------------
  std::vector<uint32_t> gpu_cat_slices(tracks_.size(), 0);
  for (const Slice& s : t.slices)
    if (is_gpu_category(t.strings[s.cat])) ++gpu_cat_slices[s.track];
  for (size_t tr = 0; tr < tracks_.size(); ++tr) {
    TrackInfo& in = tracks_[tr];
    Track& out = t.tracks[tr];
    const ProcessInfo& p = processes_[in.process];
    out.process = in.process;
    out.tid = in.tid;
    out.name = in.has_name ? in.name : "thread " + in.tid;
    out.gpu = is_gpu_name(p.has_name ? p.name + " " + p.labels : p.labels, in.has_name ? in.name : "") ||
              (out.slice_count > 0 && 2 * gpu_cat_slices[tr] > out.slice_count);
    std::stable_sort(in.instants.begin(), in.instants.end(),
                     [](const Instant& a, const Instant& b) { return a.ts < b.ts; });
    out.instants = std::move(in.instants);
    if (out.gpu && out.slice_count > 0) t.has_gpu = true;
  }
  // Processes in display order; their tracks too. Indices into t.tracks do not change, only the lists.
  std::vector<uint32_t> porder(processes_.size());
  std::iota(porder.begin(), porder.end(), 0u);
  std::stable_sort(porder.begin(), porder.end(), [&](uint32_t a, uint32_t b) {
    const ProcessInfo &x = processes_[a], &y = processes_[b];
    return order_key(x.has_sort_index, x.sort_index, x.pid, x.name) <
           order_key(y.has_sort_index, y.sort_index, y.pid, y.name);
  });
  std::vector<uint32_t> new_process_id(processes_.size());
  for (uint32_t i = 0; i < porder.size(); ++i) new_process_id[porder[i]] = i;
  t.processes.resize(processes_.size());
  for (uint32_t i = 0; i < porder.size(); ++i) {
    ProcessInfo& in = processes_[porder[i]];
    Process& out = t.processes[i];
    out.pid = in.pid;
    out.name = in.has_name ? in.name : "process " + in.pid;
    if (!in.labels.empty()) out.name += " (" + in.labels + ")";
    out.sort_index = in.sort_index;
    out.tracks = in.tracks;
    std::stable_sort(out.tracks.begin(), out.tracks.end(), [&](uint32_t a, uint32_t b) {
      const TrackInfo &x = tracks_[a], &y = tracks_[b];
      return order_key(x.has_sort_index, x.sort_index, x.tid, t.tracks[a].name) <
             order_key(y.has_sort_index, y.sort_index, y.tid, t.tracks[b].name);
    });
    // Tracks with nothing on them (a thread that only has a name) are not worth a row.
    std::erase_if(out.tracks, [&](uint32_t k) { return t.tracks[k].slice_count == 0 && t.tracks[k].instants.empty(); });
    out.gpu = !out.tracks.empty();
    for (uint32_t k : out.tracks) {
      t.tracks[k].process = i;
      t.tracks[k].sort_index = tracks_[k].sort_index;
      out.gpu = out.gpu && t.tracks[k].gpu;
    }
  }
  // Counters: samples sorted by time, then attached to their (renumbered) process.
  for (Counter& c : counters_) {
    std::vector<uint32_t> idx(c.ts.size());
    std::iota(idx.begin(), idx.end(), 0u);
    std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return c.ts[a] < c.ts[b]; });
    Counter sorted;
    sorted.process = new_process_id[c.process];
    sorted.name = std::move(c.name);
    for (uint32_t k : idx) {
      sorted.ts.push_back(c.ts[k]);
      sorted.value.push_back(c.value[k]);
    }
    auto [mn, mx] = std::minmax_element(sorted.value.begin(), sorted.value.end());
    sorted.min = std::min(0.0, *mn);
    sorted.max = *mx;
    t.processes[sorted.process].counters.push_back(static_cast<uint32_t>(t.counters.size()));
    t.counters.push_back(std::move(sorted));
  }
  // Drop processes with nothing to show.
  std::erase_if(t.processes, [](const Process& p) { return p.tracks.empty() && p.counters.empty(); });
  for (uint32_t i = 0; i < t.processes.size(); ++i) {
    for (uint32_t k : t.processes[i].tracks) t.tracks[k].process = i;
    for (uint32_t k : t.processes[i].counters) t.counters[k].process = i;
  }

  // ---- 6. flows: bind each end to a slice -----------------------------------------------------------
  uint64_t unbound = 0;
  for (const PendingFlow& f : flows_) {
    const uint32_t from = bind_flow_end(t, f.from), to = bind_flow_end(t, f.to);
    if (from == kNone || to == kNone || from == to) {
      ++unbound;
      continue;
    }
    const auto id = static_cast<uint32_t>(t.flows.size());
    t.flows.push_back({from, to, f.from.ts, f.to.ts, f.from.name});
    t.flow_index.emplace_back(from, id);
    t.flow_index.emplace_back(to, id);
  }
  std::sort(t.flow_index.begin(), t.flow_index.end());
  const size_t dangling = open_flow_starts_.size() + open_flow_finishes_.size();
  if (unbound > 0) note(std::to_string(unbound) + " flow(s) not drawn: no slice at one of their ends");
  if (dangling > 0) note(std::to_string(dangling) + " flow event(s) without their other end");

  // ---- 7. what to show for each name: on GPU tracks a kernel's short name (profiler/kernel_name.h) ------
  const auto named = static_cast<uint32_t>(t.strings.size());
  t.display.resize(named);
  std::vector<uint8_t> on_gpu(named, 0);  // the name of some slice on a GPU track
  for (const Slice& s : t.slices)
    if (s.name < named && t.tracks[s.track].gpu) on_gpu[s.name] = 1;
  for (uint32_t id = 0; id < named; ++id) {
    t.display[id] = id;
    if (!on_gpu[id]) continue;
    const std::string brief = prof::short_kernel_name(t.strings[id]);
    if (brief != t.strings[id]) t.display[id] = t.strings.intern(brief);
  }
  for (uint32_t id = named; id < t.strings.size(); ++id) t.display.push_back(id);

  t.file_events = file_events_;
  t.problems = problems_;
  t.messages = std::move(messages_);
  return std::move(trace_);
}

}  // namespace qwen3::viewer
