// Records -> Trace (cupti_trace_builder.h), in the order build() gives: host threads and their tracks, runtime API
// calls, NVTX ranges, synchronisation inside the calls that waited, device work on (device, stream) tracks, flows
// from each launch to its work, the NVTX ranges enclosing each launch, their projection on the GPU, metadata.
// Each step is one member function of TraceBuilder; the state they share (the trace so far, which event is which
// call, which ranges exist, which device work was seen) is its members.
#include "profiler/cupti_trace_builder.h"

#include <cupti.h>
#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "profiler/cupti_nvtx.h"  // category_of_id

namespace qwen3::prof::cupti {

namespace {

// ---- names and times -----------------------------------------------------------------------------------------------

// "_ZN5qwen310cuda_naive13linear_kernelEPKf..." -> "qwen3::cuda_naive::linear_kernel(float const*, ...)";
// a name that is not a mangled C++ name comes back unchanged.
std::string demangle(const std::string& name) {
  int status = 0;
  char* out = abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status);
  if (status != 0 || out == nullptr) {
    std::free(out);
    return name;
  }
  std::string s = out;
  std::free(out);
  return s;
}

// "cudaLaunchKernel_v7000" -> "cudaLaunchKernel", "cudaStreamSynchronize_ptsz_v7000" -> "cudaStreamSynchronize"
// (CUPTI's callback names carry the API version, and _ptsz/_ptds for the per-thread default stream variants).
std::string runtime_name(uint32_t cbid) {
  const char* raw = nullptr;
  if (cuptiGetCallbackName(CUPTI_CB_DOMAIN_RUNTIME_API, cbid, &raw) != CUPTI_SUCCESS || raw == nullptr) {
    return "CUDA runtime call " + std::to_string(cbid);
  }
  std::string s = raw;
  if (const size_t v = s.rfind("_v");
      v != std::string::npos && v + 2 < s.size() &&
      std::all_of(s.begin() + v + 2, s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    s.resize(v);
  }
  for (const char* suffix : {"_ptsz", "_ptds"}) {
    const size_t n = std::strlen(suffix);
    if (s.size() > n && s.compare(s.size() - n, n, suffix) == 0) s.resize(s.size() - n);
  }
  return s;
}

const char* memcpy_kind_name(uint8_t kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return "HtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return "DtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOA: return "HtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOH: return "AtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOA: return "AtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_ATOD: return "AtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOA: return "DtoA";
    case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return "DtoD";
    case CUPTI_ACTIVITY_MEMCPY_KIND_HTOH: return "HtoH";
    case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP: return "PtoP";
    default: return "unknown";
  }
}

const char* sync_name(uint32_t type) {
  switch (type) {
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_EVENT_SYNCHRONIZE: return "event synchronize";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_WAIT_EVENT: return "stream wait event";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_STREAM_SYNCHRONIZE: return "stream synchronize";
    case CUPTI_ACTIVITY_SYNCHRONIZATION_TYPE_CONTEXT_SYNCHRONIZE: return "context synchronize";
    default: return "synchronize";
  }
}

int64_t rel(uint64_t t, uint64_t base) { return static_cast<int64_t>(t) - static_cast<int64_t>(base); }
int64_t duration(uint64_t start, uint64_t end) { return end > start ? static_cast<int64_t>(end - start) : 0; }

bool is_start(const MarkerRecord& m) { return (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_START) != 0; }
bool is_end(const MarkerRecord& m) { return (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_END) != 0; }

// ---- tracks ----------------------------------------------------------------------------------------------------------

// Projected NVTX tracks take thread ids from the top of the 32-bit range down (lane 0, 1, ...): CUPTI's stream
// ids are small numbers counted up from 0, and Chrome's trace format wants 32-bit thread ids.
constexpr int64_t kProjectionTid = 0x7fffffff;

bool is_projection_track(const Track& t) { return t.gpu && t.tid > kProjectionTid - 4096; }

// Puts the tracks in the order a reader wants them (the JSON writer keeps it): host threads first, the main thread
// on top; then each GPU with its NVTX projection lanes above its streams.
void order_tracks(Trace& trace, uint32_t main_tid) {
  std::vector<size_t> order(trace.tracks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) {
    const Track& t = trace.tracks[i];
    const bool projection = is_projection_track(t);
    // (host or gpu, process, main thread first / projection lanes first, thread id; lanes from lane 0 down)
    return std::make_tuple(t.gpu ? 1 : 0, t.pid, t.gpu ? (projection ? 0 : 1) : (t.tid == main_tid ? 0 : 1),
                           projection ? -t.tid : t.tid);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  std::vector<size_t> new_index(order.size());
  std::vector<Track> tracks;
  tracks.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    new_index[order[i]] = i;
    tracks.push_back(std::move(trace.tracks[order[i]]));
  }
  trace.tracks = std::move(tracks);
  for (Event& e : trace.events) e.track = new_index[e.track];
}

// ---- what the steps share --------------------------------------------------------------------------------------------

// An NVTX push/pop range on a host thread.
struct Range {
  size_t event = 0;  // its host-thread event
  size_t track = 0;
  int64_t start = 0, end = 0;
  int parent = -1;  // the range directly enclosing it on its thread
  int depth = 0;
};

// Device work (a kernel, copy or fill) as the projection sees it.
struct Work {
  size_t event = 0;
  uint32_t device = 0;
  uint32_t correlation = 0, runtime_correlation = 0;
  size_t launch = SIZE_MAX;  // the runtime call's event, when found
};

// A range's projection on one device: the first start and last end of the work launched inside it.
struct Span {
  int64_t start = INT64_MAX, end = INT64_MIN;
  int64_t items = 0;
};

using RangeChains = std::unordered_map<size_t, std::vector<int>>;  // launching call -> enclosing ranges, outermost first
using Projection = std::map<std::pair<int, uint32_t>, Span>;        // (range, device) -> span

class TraceBuilder {
 public:
  TraceBuilder(const Records& r, const BuildContext& ctx, std::vector<std::string>& warnings)
      : r_(r), ctx_(ctx), warnings_(warnings), events_(trace_.events), base_(ctx.base_ns),
        gpu_pid_base_(ctx.pid < 256 ? (int64_t{1} << 22) : 0) {}  // never a host pid (pid_max <= 2^22)

  Trace build() {
    map_marker_threads();
    add_runtime_calls();
    add_nvtx_ranges();
    add_synchronizations();
    add_kernels();
    add_transfers();
    if (untimed_ > 0) warnings_.push_back(std::to_string(untimed_) + " CUPTI record(s) had no timestamps; left out");
    add_flows();
    const RangeChains chain_of = enclosing_ranges();
    name_enclosing_range(chain_of);
    Projection projection = project_ranges(chain_of);
    clip_to_parents(projection);
    add_projection_lanes(projection);
    add_metadata();
    order_tracks(trace_, ctx_.main_tid);
    trace_.sort();
    return std::move(trace_);
  }

 private:
  // ---- host threads ---------------------------------------------------------------------------------------------
  // CUPTI is told to report system thread ids (gettid), the ones the OS and Perfetto show. Should the NVTX
  // markers still come with other ids than the runtime calls (a CUPTI that ignores the setting), a process with
  // one thread of each is mapped onto that one thread, so ranges and launches can be matched.
  void map_marker_threads() {
    std::set<std::pair<uint32_t, uint32_t>> api_threads, marker_threads;
    for (const ApiRecord& a : r_.api) api_threads.insert({a.pid, a.tid});
    for (const MarkerRecord& m : r_.markers) {
      if (m.has_thread) marker_threads.insert({m.pid, m.tid});
    }
    if (api_threads.empty() || marker_threads.empty()) return;
    bool shared = false;
    for (const auto& t : marker_threads) shared = shared || api_threads.count(t) > 0;
    if (!shared && api_threads.size() == 1 && marker_threads.size() == 1) {
      marker_thread_map_[*marker_threads.begin()] = *api_threads.begin();
      warnings_.push_back("NVTX markers and runtime calls came with different thread ids; mapped onto one thread");
    } else if (!shared) {
      warnings_.push_back("NVTX markers and runtime calls came with different thread ids: kernels cannot be placed "
                          "in their NVTX ranges (no \"range\" argument, no GPU projection)");
    }
  }

  // The track of host thread (pid, tid), named the first time it is asked for.
  size_t host_track(uint32_t pid, uint32_t tid) {
    const auto [it, added] = track_of_.try_emplace({pid, tid}, 0);
    if (added) {
      const std::string process =
          pid == ctx_.pid ? ctx_.process_name : ctx_.process_name + " (pid " + std::to_string(pid) + ")";
      const std::string thread = tid == ctx_.main_tid ? "main thread" : "thread " + std::to_string(tid);
      it->second = trace_.track(pid, tid, process, thread, false);
    }
    return it->second;
  }

  // ---- runtime API calls ----------------------------------------------------------------------------------------
  void add_runtime_calls() {
    std::unordered_map<uint32_t, std::string> name_of_cbid;
    for (const ApiRecord& a : r_.api) {
      if (a.start == 0 && a.end == 0) {
        ++untimed_;
        continue;
      }
      if (a.start > ctx_.stop_ns) continue;  // finish()'s own cudaDeviceSynchronize
      Event e;
      auto [name, added] = name_of_cbid.try_emplace(a.cbid);
      if (added) name->second = runtime_name(a.cbid);
      e.name = name->second;
      const bool waits = e.name.find("Synchronize") != std::string::npos;
      e.category = waits ? "sync" : "runtime";
      e.start_ns = rel(a.start, base_);
      e.dur_ns = duration(a.start, a.end);
      e.track = host_track(a.pid, a.tid);
      e.args = {{"correlation", a.correlation}, {"cbid", a.cbid}};
      call_of_[a.correlation] = events_.size();
      if (waits) sync_calls_.push_back(events_.size());
      events_.push_back(std::move(e));
    }
  }

  // ---- NVTX ranges: a start marker and the end marker with its id -----------------------------------------------
  // Should this CUPTI give a pop another id than its push (the records do not promise that the two match for
  // push/pop ranges), they are paired by order instead: on each thread and domain, an end closes the latest start.
  // Returns: start marker -> its end's timestamp.
  std::unordered_map<const MarkerRecord*, uint64_t> pair_markers() {
    std::unordered_map<const MarkerRecord*, uint64_t> end_time;
    std::unordered_map<uint32_t, const MarkerRecord*> end_of;
    for (const MarkerRecord& m : r_.markers) {
      if (is_end(m)) end_of[m.id] = &m;
    }
    size_t starts = 0;
    for (const MarkerRecord& m : r_.markers) {
      if (!is_start(m)) continue;
      ++starts;
      if (const auto it = end_of.find(m.id); it != end_of.end()) end_time[&m] = it->second->timestamp;
    }
    if (end_time.empty() && starts > 0 && !end_of.empty()) {
      warnings_.push_back("NVTX end markers carry other ids than their start markers: paired by order on each thread");
      std::map<std::tuple<uint32_t, uint32_t, std::string>, std::vector<const MarkerRecord*>> by_thread;
      for (const MarkerRecord& m : r_.markers) {
        if (is_start(m) || is_end(m)) by_thread[{m.pid, m.tid, m.domain}].push_back(&m);
      }
      for (auto& [thread, list] : by_thread) {
        std::stable_sort(list.begin(), list.end(),
                         [](const MarkerRecord* a, const MarkerRecord* b) { return a->timestamp < b->timestamp; });
        std::vector<const MarkerRecord*> open;
        for (const MarkerRecord* m : list) {
          if (is_start(*m)) {
            open.push_back(m);
          } else if (!open.empty()) {
            end_time[open.back()] = m->timestamp;
            open.pop_back();
          }
        }
      }
    }
    return end_time;
  }

  // One event per closed range (and per instantaneous marker) on its host thread's track.
  void add_nvtx_ranges() {
    const std::unordered_map<const MarkerRecord*, uint64_t> end_time = pair_markers();
    uint64_t unclosed = 0;
    for (const MarkerRecord& m : r_.markers) {
      const bool instant = (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_INSTANTANEOUS) != 0;
      if (!is_start(m) && !instant) continue;
      if (m.timestamp == 0 || m.timestamp > ctx_.stop_ns) continue;
      uint64_t end = m.timestamp;
      if (!instant) {
        const auto it = end_time.find(&m);
        if (it == end_time.end() || it->second < m.timestamp) {
          ++unclosed;
          continue;
        }
        end = it->second;
      }
      std::pair<uint32_t, uint32_t> thread =
          m.has_thread ? std::make_pair(m.pid, m.tid) : std::make_pair(ctx_.pid, ctx_.main_tid);
      if (const auto mapped = marker_thread_map_.find(thread); mapped != marker_thread_map_.end()) {
        thread = mapped->second;
      }
      Event e;
      e.name = m.name.empty() ? "(unnamed range)" : m.name;
      e.category = "nvtx";
      e.start_ns = rel(m.timestamp, base_);
      e.dur_ns = duration(m.timestamp, end);
      e.track = host_track(thread.first, thread.second);
      if (const auto c = r_.marker_category.find(m.id); c != r_.marker_category.end() && category_of_id(c->second)) {
        e.args["category"] = category_of_id(c->second);
      }
      if (!m.domain.empty()) e.args["domain"] = m.domain;
      if (!instant) ranges_.push_back(Range{events_.size(), e.track, e.start_ns, e.start_ns + e.dur_ns, -1, 0});
      events_.push_back(std::move(e));
    }
    if (unclosed > 0) {
      warnings_.push_back(std::to_string(unclosed) +
                          " NVTX range(s) were still open when the session finished; left out");
    }
    if (ctx_.ranges_pushed > 0 && r_.markers.empty()) {
      warnings_.push_back(std::to_string(ctx_.ranges_pushed) +
                          " NVTX ranges were pushed but none reached CUPTI: NVTX was initialised in this process "
                          "before the session pointed NVTX_INJECTION64_PATH at CUPTI, or that variable names another "
                          "tool");
    }
  }

  // ---- synchronization: inside the runtime call that waited -----------------------------------------------------
  // The call with the record's correlation id, else the smallest waiting call that contains it; a record with
  // neither is counted in the metadata (sync_records_without_call).
  void add_synchronizations() {
    for (const SyncRecord& s : r_.syncs) {
      if (s.start == 0 && s.end == 0) continue;
      if (s.start > ctx_.stop_ns) continue;
      size_t call = SIZE_MAX;
      if (const auto it = call_of_.find(s.correlation); it != call_of_.end()) {
        call = it->second;
      } else {  // no call with its id: the smallest waiting call that contains it
        const int64_t a = rel(s.start, base_), b = a + duration(s.start, s.end);
        for (size_t c : sync_calls_) {
          const Event& ce = events_[c];
          if (ce.start_ns <= a && b <= ce.start_ns + ce.dur_ns &&
              (call == SIZE_MAX || ce.dur_ns < events_[call].dur_ns)) {
            call = c;
          }
        }
      }
      if (call == SIZE_MAX) {
        ++unplaced_syncs_;
        continue;
      }
      // Clipped to its call, so that it nests on the thread's track even if the two clocks reads differ by a tick.
      const int64_t call_start = events_[call].start_ns, call_end = call_start + events_[call].dur_ns;
      const int64_t start = std::clamp(rel(s.start, base_), call_start, call_end);
      const int64_t end = std::clamp(rel(s.start, base_) + duration(s.start, s.end), start, call_end);
      Event e;
      e.name = sync_name(s.type);
      e.category = "sync";
      e.start_ns = start;
      e.dur_ns = end - start;
      e.track = events_[call].track;
      e.args = {{"correlation", s.correlation}};
      if (s.stream != CUPTI_SYNCHRONIZATION_INVALID_VALUE) e.args["stream"] = s.stream;
      events_.push_back(std::move(e));
    }
  }

  // ---- device work: kernels, copies, fills on (device, stream) tracks -------------------------------------------
  std::string device_name(uint32_t d) const {
    return "GPU " + std::to_string(d) + (d < ctx_.device_names.size() ? ": " + ctx_.device_names[d] : std::string());
  }

  // The track of `stream` on `device`, named the first time it is asked for.
  size_t stream_track(uint32_t device, uint32_t stream) {
    const auto [it, added] = track_of_.try_emplace({gpu_pid_base_ + device, stream}, 0);
    if (added) {
      it->second =
          trace_.track(gpu_pid_base_ + device, stream, device_name(device), "stream " + std::to_string(stream), true);
    }
    return it->second;
  }

  void add_kernels() {
    std::unordered_map<std::string, std::pair<std::string, std::string>> kernel_names;  // mangled -> name, category
    for (const KernelRecord& k : r_.kernels) {
      if (k.start == 0 && k.end == 0) {
        ++untimed_;
        continue;
      }
      auto [named, added] = kernel_names.try_emplace(k.name);
      if (added) {
        named->second.first = demangle(k.name);
        named->second.second = kernel_category(named->second.first);
      }
      Event e;
      e.name = named->second.first;
      e.category = named->second.second;
      e.start_ns = rel(k.start, base_);
      e.dur_ns = duration(k.start, k.end);
      e.track = stream_track(k.device, k.stream);
      e.args = {{"grid", {k.grid[0], k.grid[1], k.grid[2]}},
                {"block", {k.block[0], k.block[1], k.block[2]}},
                {"registers_per_thread", k.registers},
                {"static_shared_memory", k.static_shared},
                {"dynamic_shared_memory", k.dynamic_shared},
                {"device", k.device},
                {"stream", k.stream},
                {"correlation", k.correlation}};
      work_.push_back(Work{events_.size(), k.device, k.correlation, 0, SIZE_MAX});
      devices_seen_.insert(k.device);
      events_.push_back(std::move(e));
    }
  }

  void add_transfers() {
    for (const TransferRecord& t : r_.transfers) {
      if (t.start == 0 && t.end == 0) {
        ++untimed_;
        continue;
      }
      Event e;
      e.category = t.is_memset ? "memset" : "memcpy";
      e.name = t.is_memset ? "Memset" : std::string("Memcpy ") + memcpy_kind_name(t.copy_kind);
      e.start_ns = rel(t.start, base_);
      e.dur_ns = duration(t.start, t.end);
      e.track = stream_track(t.device, t.stream);
      e.args = {{"bytes", t.bytes}, {"device", t.device}, {"stream", t.stream}, {"correlation", t.correlation}};
      if (!t.is_memset) e.args["kind"] = memcpy_kind_name(t.copy_kind);
      work_.push_back(Work{events_.size(), t.device, t.correlation, t.runtime_correlation, SIZE_MAX});
      devices_seen_.insert(t.device);
      events_.push_back(std::move(e));
    }
  }

  // ---- flows: launch -> device work -------------------------------------------------------------------------------
  // The flow id is the correlation id; work that shares one launch (a graph) gets ids above 2^32 for the others.
  void add_flows() {
    std::unordered_set<uint64_t> flow_ids;
    uint64_t next_extra_id = uint64_t{1} << 32;
    uint64_t unlaunched = 0;
    for (Work& w : work_) {
      auto it = call_of_.find(w.correlation);
      if (it == call_of_.end() && w.runtime_correlation != 0) it = call_of_.find(w.runtime_correlation);
      if (it == call_of_.end()) {
        ++unlaunched;
        continue;
      }
      w.launch = it->second;
      uint64_t id = w.correlation;
      if (!flow_ids.insert(id).second) id = next_extra_id++;
      trace_.flows.push_back(Flow{id, w.launch, w.event});
    }
    if (unlaunched > 0) {
      warnings_.push_back(std::to_string(unlaunched) +
                          " kernel/copy/fill record(s) have no runtime API call with their correlation id (launched "
                          "through the driver API, or before the session started): no flow, no NVTX range");
    }
  }

  // ---- NVTX ranges enclosing each launch, on its thread ------------------------------------------------------------
  // Ranges on one thread nest (push/pop), so one sweep in start order with a stack of open ranges gives every
  // launch its chain of enclosing ranges, outermost first, and every range its parent (and depth).
  RangeChains enclosing_ranges() {
    std::map<size_t, std::vector<int>> ranges_on;       // track -> ranges, by start (longest first)
    std::map<size_t, std::vector<size_t>> launches_on;  // track -> launching calls, by start
    for (size_t i = 0; i < ranges_.size(); ++i) ranges_on[ranges_[i].track].push_back(static_cast<int>(i));
    {
      std::unordered_set<size_t> launches;
      for (const Work& w : work_) {
        if (w.launch != SIZE_MAX) launches.insert(w.launch);
      }
      for (size_t c : launches) launches_on[events_[c].track].push_back(c);
    }
    RangeChains chain_of;
    for (auto& entry : ranges_on) {
      std::vector<int>& list = entry.second;  // (not a structured binding: lambdas below capture it)
      std::sort(list.begin(), list.end(), [&](int a, int b) {
        return ranges_[a].start != ranges_[b].start ? ranges_[a].start < ranges_[b].start
                                                    : ranges_[a].end > ranges_[b].end;
      });
      std::vector<size_t>& calls = launches_on[entry.first];
      std::sort(calls.begin(), calls.end(),
                [&](size_t a, size_t b) { return events_[a].start_ns < events_[b].start_ns; });
      std::vector<int> open;
      size_t next = 0;
      auto open_ranges_until = [&](int64_t t) {  // opens every range starting at or before t
        for (; next < list.size() && ranges_[list[next]].start <= t; ++next) {
          Range& nr = ranges_[list[next]];
          while (!open.empty() && ranges_[open.back()].end <= nr.start) open.pop_back();
          if (!open.empty()) nr.parent = open.back(), nr.depth = ranges_[open.back()].depth + 1;
          open.push_back(list[next]);
        }
      };
      for (size_t c : calls) {
        const int64_t start = events_[c].start_ns;
        open_ranges_until(start);
        while (!open.empty() && ranges_[open.back()].end <= start) open.pop_back();
        if (!open.empty()) chain_of[c] = open;
      }
      open_ranges_until(INT64_MAX);  // parents of ranges after the last launch
    }
    return chain_of;
  }

  // ---- "range" argument: each piece of device work names the innermost range its launch was made in -----------
  void name_enclosing_range(const RangeChains& chain_of) {
    for (const Work& w : work_) {
      if (w.launch == SIZE_MAX) continue;
      const auto chain = chain_of.find(w.launch);
      if (chain == chain_of.end()) continue;
      events_[w.event].args["range"] = events_[ranges_[chain->second.back()].event].name;
    }
  }

  // ---- the GPU projection ------------------------------------------------------------------------------------------
  // A range's projection on a device: from the first start to the last end of the work launched inside it (its
  // nested ranges included). A parent's work is a superset of its child's, so a child's projection lies inside its
  // parent's; it is still clipped to it (clip_to_parents), which only matters should the clocks disagree. Siblings
  // can overlap when the work runs on several streams or comes from several threads: such a range goes to another
  // lane (track) (add_projection_lanes).
  Projection project_ranges(const RangeChains& chain_of) const {
    Projection projection;
    for (const Work& w : work_) {
      if (w.launch == SIZE_MAX) continue;
      const auto chain = chain_of.find(w.launch);
      if (chain == chain_of.end()) continue;
      const Event& e = events_[w.event];
      for (int rg : chain->second) {
        Span& s = projection[{rg, w.device}];
        s.start = std::min(s.start, e.start_ns);
        s.end = std::max(s.end, e.start_ns + e.dur_ns);
        ++s.items;
      }
    }
    return projection;
  }

  // Clip, parents first (shallower ranges first), each to its nearest projected ancestor on the same device.
  void clip_to_parents(Projection& projection) const {
    std::vector<std::pair<int, uint32_t>> keys;
    for (const auto& [key, span] : projection) keys.push_back(key);
    std::stable_sort(keys.begin(), keys.end(),
                     [&](const auto& a, const auto& b) { return ranges_[a.first].depth < ranges_[b.first].depth; });
    for (const auto& key : keys) {
      Span& s = projection[key];
      for (int p = ranges_[key.first].parent; p >= 0; p = ranges_[p].parent) {
        const auto it = projection.find({p, key.second});
        if (it == projection.end()) continue;
        s.start = std::clamp(s.start, it->second.start, it->second.end);
        s.end = std::clamp(s.end, s.start, it->second.end);
        break;
      }
    }
  }

  // Lanes: in (start, longest first, outermost first) order, each projected range goes to the first lane where it
  // nests (inside the lane's open range, or after it has ended); one event per projected range on its lane's track.
  void add_projection_lanes(const Projection& projection) {
    std::map<uint32_t, std::vector<std::pair<int, Span>>> per_device;
    for (const auto& [key, span] : projection) per_device[key.second].push_back({key.first, span});
    for (auto& [device, list] : per_device) {
      std::sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
        if (a.second.start != b.second.start) return a.second.start < b.second.start;
        if (a.second.end != b.second.end) return a.second.end > b.second.end;
        return ranges_[a.first].depth < ranges_[b.first].depth;
      });
      std::vector<std::vector<int64_t>> lanes;  // per lane: the ends of its open ranges
      for (const auto& [rg, span] : list) {
        size_t lane = 0;
        for (; lane < lanes.size(); ++lane) {
          std::vector<int64_t>& open = lanes[lane];
          while (!open.empty() && open.back() <= span.start) open.pop_back();
          if (open.empty() || span.end <= open.back()) break;
        }
        if (lane == lanes.size()) lanes.emplace_back();
        lanes[lane].push_back(span.end);
        const std::string thread =
            "NVTX (GPU projection)" + (lane == 0 ? std::string() : " " + std::to_string(lane + 1));
        Event e;
        e.name = events_[ranges_[rg].event].name;
        e.category = "nvtx";
        e.start_ns = span.start;
        e.dur_ns = span.end - span.start;
        e.track = trace_.track(gpu_pid_base_ + device, kProjectionTid - static_cast<int64_t>(lane),
                               device_name(device), thread, true);
        e.args = events_[ranges_[rg].event].args;
        e.args["device_work"] = span.items;
        e.args["projection"] = "GPU time of the work launched inside this NVTX range";
        events_.push_back(std::move(e));
      }
    }
  }

  // ---- metadata -----------------------------------------------------------------------------------------------
  void add_metadata() {
    trace_.metadata["base_time_ns"] = base_;
    trace_.metadata["clock"] = "CUPTI timestamps (ns), host and GPU on one clock, minus base_time_ns";
    trace_.metadata["dropped_records"] = r_.dropped;
    if (devices_seen_.size() > 1) {
      nlohmann::json list = nlohmann::json::array();
      for (uint32_t d : devices_seen_) list.push_back(device_name(d));
      trace_.metadata["devices"] = list;
    }
    if (unplaced_syncs_ > 0) trace_.metadata["sync_records_without_call"] = unplaced_syncs_;
    if (r_.incomplete > 0) {
      warnings_.push_back(std::to_string(r_.incomplete) + " CUPTI buffer(s) ended in an incomplete record; the rest "
                          "of each was left out");
    }
    if (r_.dropped > 0) {
      warnings_.push_back("CUPTI dropped " + std::to_string(r_.dropped) +
                          " activity record(s) for lack of buffer space: the trace is incomplete");
    }
  }

  const Records& r_;
  const BuildContext& ctx_;
  std::vector<std::string>& warnings_;
  Trace trace_;
  std::vector<Event>& events_;  // trace_.events
  const uint64_t base_;         // ctx_.base_ns: time 0
  const int64_t gpu_pid_base_;  // GPU d's tracks are process gpu_pid_base_ + d

  std::map<std::pair<uint32_t, uint32_t>, std::pair<uint32_t, uint32_t>> marker_thread_map_;  // marker -> api thread
  std::map<std::pair<int64_t, int64_t>, size_t> track_of_;  // (pid, tid) -> track, to name each track once
  std::unordered_map<uint32_t, size_t> call_of_;            // correlation id -> runtime call event
  std::vector<size_t> sync_calls_;  // runtime calls that wait (for placing synchronization records)
  uint64_t untimed_ = 0;            // records without timestamps, left out
  uint64_t unplaced_syncs_ = 0;     // synchronization records in no call
  std::vector<Range> ranges_;       // NVTX push/pop ranges, in event order
  std::vector<Work> work_;          // kernels, copies, fills, in event order
  std::set<uint32_t> devices_seen_;
};

}  // namespace

Trace build_trace(const Records& r, const BuildContext& ctx, std::vector<std::string>& warnings) {
  return TraceBuilder(r, ctx, warnings).build();
}

}  // namespace qwen3::prof::cupti
