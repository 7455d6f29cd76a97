// The CUPTI session: what the GPU did, recorded by NVIDIA's CUPTI Activity API, with the backend's ranges as NVTX.
//
//   start_cupti_session                          finish()
//   ------------------------------------------   ------------------------------------------------------------
//   claim the process's one session slot         cudaDeviceSynchronize: every kernel has finished
//   cuptiSubscribe (one CUPTI client at a time)  cuptiActivityFlushAll(FORCED): CUPTI hands back every buffer
//   cuptiActivityRegisterCallbacks               disable the kinds, unsubscribe, release the slot
//   cuptiActivityEnable for each kind below      records -> Trace (build_trace, below)
//   point NVTX's injection at this CUPTI
//
// CUPTI writes records into 8 MB buffers we lend it (buffer_requested) and hands each back when it is full or
// flushed (buffer_completed), possibly on a thread of its own. We copy what we need out of every record (the
// name strings too: CUPTI owns them) and free the buffer. That callback has no user pointer, which is why one
// static pointer to the active session exists, guarded by one mutex, and why only one session runs at a time.
//
// Records -> Trace, all on CUPTI's one nanosecond clock (host and device alike), minus the session's start time
// (metadata "base_time_ns") so that microseconds with three decimals stay exact in a double:
//   runtime API call   host thread (pid, tid)   "cudaLaunchKernel", ...   runtime (sync for *Synchronize)
//   NVTX start/end     host thread              the backend's ranges      nvtx (matched by marker id)
//   synchronization    host thread of its call  "stream synchronize"...   sync
//   kernel             "GPU d: <name>" / "stream N"   demangled name      gemm, attention, norm, elementwise
//   memcpy / memset    the same stream tracks   "Memcpy HtoD", "Memset"   memcpy / memset
//   flow               runtime call -> the kernel, copy or fill it started (the same correlation id)
//   GPU projection     "GPU d" / "NVTX (GPU projection)": each range from the start of the first device work
//                      launched inside it to the end of the last, so the GPU timeline shows the layers.
//
// The CUPTI record structs are those of the CUDA 13 headers (cupti_activity.h names, for each kind, the struct
// its records use): CUpti_ActivityKernel10, CUpti_ActivityMemcpy6, CUpti_ActivityMemset4, CUpti_ActivityAPI,
// CUpti_ActivitySynchronization2, CUpti_ActivityMarker2, CUpti_ActivityMarkerData2. Records are laid out by the
// libcupti that writes them, so the program must run with the libcupti of the toolkit it was built with (CMake's
// CUDA::cupti, found by its rpath), as it does unless LD_LIBRARY_PATH points at another toolkit.
#include <cupti.h>
#include <cuda_runtime.h>
#include <cxxabi.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "profiler/session.h"

namespace qwen3::prof {

namespace {

// ---- constants ------------------------------------------------------------------------------------------------

constexpr size_t kBufferBytes = 8u << 20;  // one activity buffer: 8 MB
constexpr size_t kBufferAlign = 8;         // CUPTI requires 8-byte aligned buffers

// The kinds this session records. CUPTI has no "all the activity you have" switch; each is enabled by name.
// MARKER_DATA (colour and category of a marker) is optional: without it a range only loses its op category.
constexpr CUpti_ActivityKind kRequiredKinds[] = {
    CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,  // kernels, without serialising them (KIND_KERNEL would)
    CUPTI_ACTIVITY_KIND_MEMCPY,          CUPTI_ACTIVITY_KIND_MEMSET,
    CUPTI_ACTIVITY_KIND_RUNTIME,         CUPTI_ACTIVITY_KIND_SYNCHRONIZATION,
    CUPTI_ACTIVITY_KIND_MARKER,
};
constexpr CUpti_ActivityKind kOptionalKinds[] = {CUPTI_ACTIVITY_KIND_MARKER_DATA};

// Projected NVTX tracks take thread ids from the top of the 32-bit range down (lane 0, 1, ...): CUPTI's stream
// ids are small numbers counted up from 0, and Chrome's trace format wants 32-bit thread ids.
constexpr int64_t kProjectionTid = 0x7fffffff;

bool is_projection_track(const Track& t) { return t.gpu && t.tid > kProjectionTid - 4096; }

const char* kind_name(CUpti_ActivityKind kind) {
  switch (kind) {
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: return "CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL";
    case CUPTI_ACTIVITY_KIND_MEMCPY: return "CUPTI_ACTIVITY_KIND_MEMCPY";
    case CUPTI_ACTIVITY_KIND_MEMSET: return "CUPTI_ACTIVITY_KIND_MEMSET";
    case CUPTI_ACTIVITY_KIND_RUNTIME: return "CUPTI_ACTIVITY_KIND_RUNTIME";
    case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: return "CUPTI_ACTIVITY_KIND_SYNCHRONIZATION";
    case CUPTI_ACTIVITY_KIND_MARKER: return "CUPTI_ACTIVITY_KIND_MARKER";
    case CUPTI_ACTIVITY_KIND_MARKER_DATA: return "CUPTI_ACTIVITY_KIND_MARKER_DATA";
    default: return "CUPTI_ACTIVITY_KIND_?";
  }
}

// "cuptiSubscribe failed: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED (...)": one line naming the call.
std::string cupti_error(const std::string& call, CUptiResult result) {
  const char* name = nullptr;
  if (cuptiGetResultString(result, &name) != CUPTI_SUCCESS || name == nullptr) name = "unknown CUPTI error";
  std::string s = call + " failed: " + name;
  const char* message = nullptr;
  if (cuptiGetErrorMessage(result, &message) == CUPTI_SUCCESS && message != nullptr) {
    std::string m = message;
    std::replace(m.begin(), m.end(), '\n', ' ');
    while (!m.empty() && m.back() == ' ') m.pop_back();
    if (!m.empty() && m != name) s += " (" + m + ")";
  }
  if (result == CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED) {
    s += ": another profiler already holds CUPTI (Nsight Systems, Nsight Compute, cuda-gdb, compute-sanitizer, "
         "or another CUPTI client in this process such as PyTorch's profiler)";
  }
  return s;
}

std::string cuda_error(const char* call, cudaError_t err) {
  return std::string(call) + " failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")";
}

void warn(const std::string& message) { std::cerr << "qwen3 profiler: warning: " << message << "\n"; }

// ---- records, as copied out of CUPTI's buffers -----------------------------------------------------------------

struct KernelRecord {
  std::string name;  // mangled, as CUPTI reports it
  uint64_t start = 0, end = 0;
  uint32_t device = 0, stream = 0, correlation = 0;
  int32_t grid[3] = {0, 0, 0}, block[3] = {0, 0, 0};
  uint32_t registers = 0;
  int32_t static_shared = 0, dynamic_shared = 0;
};

struct TransferRecord {  // a memcpy or a memset
  bool is_memset = false;
  uint8_t copy_kind = 0;  // CUpti_ActivityMemcpyKind
  uint64_t bytes = 0, start = 0, end = 0;
  uint32_t device = 0, stream = 0, correlation = 0;
  uint32_t runtime_correlation = 0;  // memcpy only: the runtime call's id, when it differs from the driver's
};

struct ApiRecord {
  uint32_t cbid = 0;
  uint64_t start = 0, end = 0;
  uint32_t pid = 0, tid = 0, correlation = 0;
};

struct SyncRecord {
  uint32_t type = 0;  // CUpti_ActivitySynchronizationType
  uint64_t start = 0, end = 0;
  uint32_t correlation = 0, stream = 0;
};

struct MarkerRecord {
  uint32_t flags = 0;  // CUPTI_ACTIVITY_FLAG_MARKER_START / _END / _INSTANTANEOUS
  uint64_t timestamp = 0;
  uint32_t id = 0;
  bool has_thread = false;  // objectId names a (process, thread)
  uint32_t pid = 0, tid = 0;
  std::string name;    // start and instantaneous markers only
  std::string domain;  // "" for NVTX's default domain
};

struct Records {
  std::vector<KernelRecord> kernels;
  std::vector<TransferRecord> transfers;
  std::vector<ApiRecord> api;
  std::vector<SyncRecord> syncs;
  std::vector<MarkerRecord> markers;
  std::unordered_map<uint32_t, uint32_t> marker_category;  // marker id -> NVTX category (MARKER_DATA)
  uint64_t buffers = 0;     // buffers CUPTI handed back
  uint64_t dropped = 0;     // records CUPTI could not store (no buffer space)
  uint64_t incomplete = 0;  // buffers whose walk ended on an invalid or incomplete record
  uint64_t other = 0;       // records of kinds this session does not use

  // Appends what another buffer held.
  void merge(Records&& o) {
    auto append = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    };
    append(kernels, o.kernels);
    append(transfers, o.transfers);
    append(api, o.api);
    append(syncs, o.syncs);
    append(markers, o.markers);
    marker_category.insert(o.marker_category.begin(), o.marker_category.end());
    buffers += o.buffers, dropped += o.dropped, incomplete += o.incomplete, other += o.other;
  }
};

// Copies every record of one completed buffer into `r`. Walks until CUPTI says there are no more records.
void parse_buffer(uint8_t* buffer, size_t valid_bytes, Records& r) {
  ++r.buffers;
  if (buffer == nullptr || valid_bytes == 0) return;
  CUpti_Activity* record = nullptr;
  for (;;) {
    const CUptiResult status = cuptiActivityGetNextRecord(buffer, valid_bytes, &record);
    if (status == CUPTI_ERROR_MAX_LIMIT_REACHED) break;  // the end of the buffer
    if (status != CUPTI_SUCCESS || record == nullptr) {  // an incomplete or invalid record: the rest is unreadable
      ++r.incomplete;
      break;
    }
    switch (record->kind) {
      case CUPTI_ACTIVITY_KIND_KERNEL:
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(record);
        KernelRecord x;
        x.name = k->name != nullptr ? k->name : "(unnamed kernel)";
        x.start = k->start, x.end = k->end;
        x.device = k->deviceId, x.stream = k->streamId, x.correlation = k->correlationId;
        x.grid[0] = k->gridX, x.grid[1] = k->gridY, x.grid[2] = k->gridZ;
        x.block[0] = k->blockX, x.block[1] = k->blockY, x.block[2] = k->blockZ;
        x.registers = k->registersPerThread;
        x.static_shared = k->staticSharedMemory, x.dynamic_shared = k->dynamicSharedMemory;
        r.kernels.push_back(std::move(x));
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(record);
        TransferRecord x;
        x.copy_kind = m->copyKind, x.bytes = m->bytes, x.start = m->start, x.end = m->end;
        x.device = m->deviceId, x.stream = m->streamId, x.correlation = m->correlationId;
        x.runtime_correlation = m->runtimeCorrelationId;
        r.transfers.push_back(x);
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(record);
        TransferRecord x;
        x.is_memset = true;
        x.bytes = m->bytes, x.start = m->start, x.end = m->end;
        x.device = m->deviceId, x.stream = m->streamId, x.correlation = m->correlationId;
        r.transfers.push_back(x);
        break;
      }
      case CUPTI_ACTIVITY_KIND_RUNTIME: {
        const auto* a = reinterpret_cast<const CUpti_ActivityAPI*>(record);
        r.api.push_back(ApiRecord{a->cbid, a->start, a->end, a->processId, a->threadId, a->correlationId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_SYNCHRONIZATION: {
        const auto* s = reinterpret_cast<const CUpti_ActivitySynchronization2*>(record);
        r.syncs.push_back(SyncRecord{static_cast<uint32_t>(s->type), s->start, s->end, s->correlationId, s->streamId});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MARKER: {
        const auto* m = reinterpret_cast<const CUpti_ActivityMarker2*>(record);
        MarkerRecord x;
        x.flags = static_cast<uint32_t>(m->flags);
        x.timestamp = m->timestamp;
        x.id = m->id;
        if (m->objectKind == CUPTI_ACTIVITY_OBJECT_THREAD || m->objectKind == CUPTI_ACTIVITY_OBJECT_PROCESS) {
          x.has_thread = m->objectKind == CUPTI_ACTIVITY_OBJECT_THREAD;
          x.pid = m->objectId.pt.processId;
          x.tid = m->objectId.pt.threadId;
        }
        if (m->name != nullptr) x.name = m->name;
        if (m->domain != nullptr) x.domain = m->domain;
        r.markers.push_back(std::move(x));
        break;
      }
      case CUPTI_ACTIVITY_KIND_MARKER_DATA: {
        const auto* d = reinterpret_cast<const CUpti_ActivityMarkerData2*>(record);
        r.marker_category[d->id] = d->category;
        break;
      }
      default:
        ++r.other;
        break;
    }
  }
}

// ---- records -> Trace --------------------------------------------------------------------------------------------

// What the builder needs to know besides the records.
struct BuildContext {
  std::string process_name;               // the host process's track name
  uint32_t pid = 0;                       // this process
  uint32_t main_tid = 0;                  // the thread that started the session: "main thread"
  std::vector<std::string> device_names;  // by CUDA device id
  uint64_t base_ns = 0;                   // CUPTI time of the session's start: time 0 of the trace
  uint64_t stop_ns = UINT64_MAX;          // host records starting later are finish()'s own calls: left out
  uint64_t ranges_pushed = 0;             // push_range calls the tracer made
};

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

// The tracer's categories travel through NVTX as category ids: index in kCategories + 1 (0 = none).
uint32_t category_id(const char* category) {
  if (category == nullptr) return 0;
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (std::strcmp(category, kCategories[i]) == 0) return static_cast<uint32_t>(i + 1);
  }
  return 0;
}

const char* category_of_id(uint32_t id) {
  return id >= 1 && id <= std::size(kCategories) ? kCategories[id - 1] : nullptr;
}

// A colour per category for tools that draw NVTX ranges themselves (Nsight Systems), ARGB.
uint32_t category_color(uint32_t id) {
  static constexpr uint32_t colors[] = {0xff4e79a7, 0xfff28e2b, 0xff59a14f, 0xffedc948, 0xffb07aa1,
                                        0xff9c755f, 0xffbab0ac, 0xffe15759, 0xff76b7b2, 0xffff9da7};
  return id >= 1 && id <= std::size(colors) ? colors[id - 1] : 0xffbab0ac;
}

int64_t rel(uint64_t t, uint64_t base) { return static_cast<int64_t>(t) - static_cast<int64_t>(base); }
int64_t duration(uint64_t start, uint64_t end) { return end > start ? static_cast<int64_t>(end - start) : 0; }

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

Trace build_trace(const Records& r, const BuildContext& ctx, std::vector<std::string>& warnings) {
  Trace trace;
  std::vector<Event>& events = trace.events;
  const uint64_t base = ctx.base_ns;

  // ---- host threads -------------------------------------------------------------------------------------------
  // CUPTI is told to report system thread ids (gettid), the ones the OS and Perfetto show. Should the NVTX
  // markers still come with other ids than the runtime calls (a CUPTI that ignores the setting), a process with
  // one thread of each is mapped onto that one thread, so ranges and launches can be matched.
  std::set<std::pair<uint32_t, uint32_t>> api_threads, marker_threads;
  for (const ApiRecord& a : r.api) api_threads.insert({a.pid, a.tid});
  for (const MarkerRecord& m : r.markers) {
    if (m.has_thread) marker_threads.insert({m.pid, m.tid});
  }
  std::map<std::pair<uint32_t, uint32_t>, std::pair<uint32_t, uint32_t>> marker_thread_map;
  if (!api_threads.empty() && !marker_threads.empty()) {
    bool shared = false;
    for (const auto& t : marker_threads) shared = shared || api_threads.count(t) > 0;
    if (!shared && api_threads.size() == 1 && marker_threads.size() == 1) {
      marker_thread_map[*marker_threads.begin()] = *api_threads.begin();
      warnings.push_back("NVTX markers and runtime calls came with different thread ids; mapped onto one thread");
    } else if (!shared) {
      warnings.push_back("NVTX markers and runtime calls came with different thread ids: kernels cannot be placed "
                         "in their NVTX ranges (no \"range\" argument, no GPU projection)");
    }
  }
  std::map<std::pair<int64_t, int64_t>, size_t> track_of;  // (pid, tid) -> track, to name each track once
  auto host_track = [&](uint32_t pid, uint32_t tid) {
    const auto [it, added] = track_of.try_emplace({pid, tid}, 0);
    if (added) {
      const std::string process =
          pid == ctx.pid ? ctx.process_name : ctx.process_name + " (pid " + std::to_string(pid) + ")";
      const std::string thread = tid == ctx.main_tid ? "main thread" : "thread " + std::to_string(tid);
      it->second = trace.track(pid, tid, process, thread, false);
    }
    return it->second;
  };

  // ---- runtime API calls ----------------------------------------------------------------------------------------
  std::unordered_map<uint32_t, size_t> call_of;  // correlation id -> runtime call event
  std::vector<size_t> sync_calls;                // runtime calls that wait (for placing synchronization records)
  std::unordered_map<uint32_t, std::string> name_of_cbid;
  uint64_t untimed = 0;
  for (const ApiRecord& a : r.api) {
    if (a.start == 0 && a.end == 0) {
      ++untimed;
      continue;
    }
    if (a.start > ctx.stop_ns) continue;  // finish()'s own cudaDeviceSynchronize
    Event e;
    auto [name, added] = name_of_cbid.try_emplace(a.cbid);
    if (added) name->second = runtime_name(a.cbid);
    e.name = name->second;
    const bool waits = e.name.find("Synchronize") != std::string::npos;
    e.category = waits ? "sync" : "runtime";
    e.start_ns = rel(a.start, base);
    e.dur_ns = duration(a.start, a.end);
    e.track = host_track(a.pid, a.tid);
    e.args = {{"correlation", a.correlation}, {"cbid", a.cbid}};
    call_of[a.correlation] = events.size();
    if (waits) sync_calls.push_back(events.size());
    events.push_back(std::move(e));
  }

  // ---- NVTX ranges: a start marker and the end marker with its id -----------------------------------------------
  // Should this CUPTI give a pop another id than its push (the records do not promise that the two match for
  // push/pop ranges), they are paired by order instead: on each thread and domain, an end closes the latest start.
  auto is_start = [](const MarkerRecord& m) { return (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_START) != 0; };
  auto is_end = [](const MarkerRecord& m) { return (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_END) != 0; };
  std::unordered_map<const MarkerRecord*, uint64_t> end_time;  // start marker -> its end's timestamp
  {
    std::unordered_map<uint32_t, const MarkerRecord*> end_of;
    for (const MarkerRecord& m : r.markers) {
      if (is_end(m)) end_of[m.id] = &m;
    }
    size_t starts = 0;
    for (const MarkerRecord& m : r.markers) {
      if (!is_start(m)) continue;
      ++starts;
      if (const auto it = end_of.find(m.id); it != end_of.end()) end_time[&m] = it->second->timestamp;
    }
    if (end_time.empty() && starts > 0 && !end_of.empty()) {
      warnings.push_back("NVTX end markers carry other ids than their start markers: paired by order on each thread");
      std::map<std::tuple<uint32_t, uint32_t, std::string>, std::vector<const MarkerRecord*>> by_thread;
      for (const MarkerRecord& m : r.markers) {
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
  }
  std::vector<Range> ranges;
  uint64_t unclosed = 0;
  for (const MarkerRecord& m : r.markers) {
    const bool instant = (m.flags & CUPTI_ACTIVITY_FLAG_MARKER_INSTANTANEOUS) != 0;
    if (!is_start(m) && !instant) continue;
    if (m.timestamp == 0 || m.timestamp > ctx.stop_ns) continue;
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
        m.has_thread ? std::make_pair(m.pid, m.tid) : std::make_pair(ctx.pid, ctx.main_tid);
    if (const auto mapped = marker_thread_map.find(thread); mapped != marker_thread_map.end()) thread = mapped->second;
    Event e;
    e.name = m.name.empty() ? "(unnamed range)" : m.name;
    e.category = "nvtx";
    e.start_ns = rel(m.timestamp, base);
    e.dur_ns = duration(m.timestamp, end);
    e.track = host_track(thread.first, thread.second);
    if (const auto c = r.marker_category.find(m.id); c != r.marker_category.end() && category_of_id(c->second)) {
      e.args["category"] = category_of_id(c->second);
    }
    if (!m.domain.empty()) e.args["domain"] = m.domain;
    if (!instant) ranges.push_back(Range{events.size(), e.track, e.start_ns, e.start_ns + e.dur_ns, -1, 0});
    events.push_back(std::move(e));
  }
  if (unclosed > 0) {
    warnings.push_back(std::to_string(unclosed) + " NVTX range(s) were still open when the session finished; left out");
  }
  if (ctx.ranges_pushed > 0 && r.markers.empty()) {
    warnings.push_back(std::to_string(ctx.ranges_pushed) +
                       " NVTX ranges were pushed but none reached CUPTI: NVTX was initialised in this process before "
                       "the session pointed NVTX_INJECTION64_PATH at CUPTI, or that variable names another tool");
  }

  // ---- synchronization: inside the runtime call that waited -----------------------------------------------------
  uint64_t unplaced_syncs = 0;
  for (const SyncRecord& s : r.syncs) {
    if (s.start == 0 && s.end == 0) continue;
    if (s.start > ctx.stop_ns) continue;
    size_t call = SIZE_MAX;
    if (const auto it = call_of.find(s.correlation); it != call_of.end()) {
      call = it->second;
    } else {  // no call with its id: the smallest waiting call that contains it
      const int64_t a = rel(s.start, base), b = a + duration(s.start, s.end);
      for (size_t c : sync_calls) {
        const Event& ce = events[c];
        if (ce.start_ns <= a && b <= ce.start_ns + ce.dur_ns && (call == SIZE_MAX || ce.dur_ns < events[call].dur_ns)) {
          call = c;
        }
      }
    }
    if (call == SIZE_MAX) {
      ++unplaced_syncs;
      continue;
    }
    // Clipped to its call, so that it nests on the thread's track even if the two clocks reads differ by a tick.
    const int64_t call_start = events[call].start_ns, call_end = call_start + events[call].dur_ns;
    const int64_t start = std::clamp(rel(s.start, base), call_start, call_end);
    const int64_t end = std::clamp(rel(s.start, base) + duration(s.start, s.end), start, call_end);
    Event e;
    e.name = sync_name(s.type);
    e.category = "sync";
    e.start_ns = start;
    e.dur_ns = end - start;
    e.track = events[call].track;
    e.args = {{"correlation", s.correlation}};
    if (s.stream != CUPTI_SYNCHRONIZATION_INVALID_VALUE) e.args["stream"] = s.stream;
    events.push_back(std::move(e));
  }

  // ---- device work: kernels, copies, fills on (device, stream) tracks -------------------------------------------
  const int64_t gpu_pid_base = ctx.pid < 256 ? (int64_t{1} << 22) : 0;  // never a host pid (pid_max <= 2^22)
  auto device_name = [&](uint32_t d) {
    return "GPU " + std::to_string(d) + (d < ctx.device_names.size() ? ": " + ctx.device_names[d] : std::string());
  };
  auto stream_track = [&](uint32_t device, uint32_t stream) {
    const auto [it, added] = track_of.try_emplace({gpu_pid_base + device, stream}, 0);
    if (added) {
      it->second =
          trace.track(gpu_pid_base + device, stream, device_name(device), "stream " + std::to_string(stream), true);
    }
    return it->second;
  };
  std::vector<Work> work;
  std::set<uint32_t> devices_seen;
  std::unordered_map<std::string, std::pair<std::string, std::string>> kernel_names;  // mangled -> name, category
  for (const KernelRecord& k : r.kernels) {
    if (k.start == 0 && k.end == 0) {
      ++untimed;
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
    e.start_ns = rel(k.start, base);
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
    work.push_back(Work{events.size(), k.device, k.correlation, 0, SIZE_MAX});
    devices_seen.insert(k.device);
    events.push_back(std::move(e));
  }
  for (const TransferRecord& t : r.transfers) {
    if (t.start == 0 && t.end == 0) {
      ++untimed;
      continue;
    }
    Event e;
    e.category = t.is_memset ? "memset" : "memcpy";
    e.name = t.is_memset ? "Memset" : std::string("Memcpy ") + memcpy_kind_name(t.copy_kind);
    e.start_ns = rel(t.start, base);
    e.dur_ns = duration(t.start, t.end);
    e.track = stream_track(t.device, t.stream);
    e.args = {{"bytes", t.bytes}, {"device", t.device}, {"stream", t.stream}, {"correlation", t.correlation}};
    if (!t.is_memset) e.args["kind"] = memcpy_kind_name(t.copy_kind);
    work.push_back(Work{events.size(), t.device, t.correlation, t.runtime_correlation, SIZE_MAX});
    devices_seen.insert(t.device);
    events.push_back(std::move(e));
  }
  if (untimed > 0) warnings.push_back(std::to_string(untimed) + " CUPTI record(s) had no timestamps; left out");

  // ---- flows: launch -> device work -------------------------------------------------------------------------------
  // The flow id is the correlation id; work that shares one launch (a graph) gets ids above 2^32 for the others.
  std::unordered_set<uint64_t> flow_ids;
  uint64_t next_extra_id = uint64_t{1} << 32;
  uint64_t unlaunched = 0;
  for (Work& w : work) {
    auto it = call_of.find(w.correlation);
    if (it == call_of.end() && w.runtime_correlation != 0) it = call_of.find(w.runtime_correlation);
    if (it == call_of.end()) {
      ++unlaunched;
      continue;
    }
    w.launch = it->second;
    uint64_t id = w.correlation;
    if (!flow_ids.insert(id).second) id = next_extra_id++;
    trace.flows.push_back(Flow{id, w.launch, w.event});
  }
  if (unlaunched > 0) {
    warnings.push_back(std::to_string(unlaunched) +
                       " kernel/copy/fill record(s) have no runtime API call with their correlation id (launched "
                       "through the driver API, or before the session started): no flow, no NVTX range");
  }

  // ---- NVTX ranges enclosing each launch, on its thread ------------------------------------------------------------
  // Ranges on one thread nest (push/pop), so one sweep in start order with a stack of open ranges gives every
  // launch its chain of enclosing ranges, outermost first, and every range its parent.
  std::map<size_t, std::vector<int>> ranges_on;       // track -> ranges, by start (longest first)
  std::map<size_t, std::vector<size_t>> launches_on;  // track -> launching calls, by start
  for (size_t i = 0; i < ranges.size(); ++i) ranges_on[ranges[i].track].push_back(static_cast<int>(i));
  {
    std::unordered_set<size_t> launches;
    for (const Work& w : work) {
      if (w.launch != SIZE_MAX) launches.insert(w.launch);
    }
    for (size_t c : launches) launches_on[events[c].track].push_back(c);
  }
  std::unordered_map<size_t, std::vector<int>> chain_of;  // launching call -> enclosing ranges, outermost first
  for (auto& entry : ranges_on) {
    std::vector<int>& list = entry.second;  // (not a structured binding: lambdas below capture it)
    std::sort(list.begin(), list.end(), [&](int a, int b) {
      return ranges[a].start != ranges[b].start ? ranges[a].start < ranges[b].start : ranges[a].end > ranges[b].end;
    });
    std::vector<size_t>& calls = launches_on[entry.first];
    std::sort(calls.begin(), calls.end(), [&](size_t a, size_t b) { return events[a].start_ns < events[b].start_ns; });
    std::vector<int> open;
    size_t next = 0;
    auto open_ranges_until = [&](int64_t t) {  // opens every range starting at or before t
      for (; next < list.size() && ranges[list[next]].start <= t; ++next) {
        Range& nr = ranges[list[next]];
        while (!open.empty() && ranges[open.back()].end <= nr.start) open.pop_back();
        if (!open.empty()) nr.parent = open.back(), nr.depth = ranges[open.back()].depth + 1;
        open.push_back(list[next]);
      }
    };
    for (size_t c : calls) {
      const int64_t start = events[c].start_ns;
      open_ranges_until(start);
      while (!open.empty() && ranges[open.back()].end <= start) open.pop_back();
      if (!open.empty()) chain_of[c] = open;
    }
    open_ranges_until(INT64_MAX);  // parents of ranges after the last launch
  }

  // ---- "range" argument and the GPU projection ---------------------------------------------------------------
  // A range's projection on a device: from the first start to the last end of the work launched inside it (its
  // nested ranges included). A parent's work is a superset of its child's, so a child's projection lies inside its
  // parent's; it is still clipped to it, which only matters should the clocks disagree. Siblings can overlap when
  // the work runs on several streams or comes from several threads: such a range goes to another lane (track).
  struct Span {
    int64_t start = INT64_MAX, end = INT64_MIN;
    int64_t items = 0;
  };
  std::map<std::pair<int, uint32_t>, Span> projection;  // (range, device) -> span
  for (const Work& w : work) {
    if (w.launch == SIZE_MAX) continue;
    const auto chain = chain_of.find(w.launch);
    if (chain == chain_of.end()) continue;
    Event& e = events[w.event];
    e.args["range"] = events[ranges[chain->second.back()].event].name;
    for (int rg : chain->second) {
      Span& s = projection[{rg, w.device}];
      s.start = std::min(s.start, e.start_ns);
      s.end = std::max(s.end, e.start_ns + e.dur_ns);
      ++s.items;
    }
  }
  // Clip, parents first (shallower ranges first), each to its nearest projected ancestor on the same device.
  std::vector<std::pair<int, uint32_t>> keys;
  for (const auto& [key, span] : projection) keys.push_back(key);
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const auto& a, const auto& b) { return ranges[a.first].depth < ranges[b.first].depth; });
  for (const auto& key : keys) {
    Span& s = projection[key];
    for (int p = ranges[key.first].parent; p >= 0; p = ranges[p].parent) {
      const auto it = projection.find({p, key.second});
      if (it == projection.end()) continue;
      s.start = std::clamp(s.start, it->second.start, it->second.end);
      s.end = std::clamp(s.end, s.start, it->second.end);
      break;
    }
  }
  // Lanes: in (start, longest first, outermost first) order, each projected range goes to the first lane where it
  // nests (inside the lane's open range, or after it has ended).
  std::map<uint32_t, std::vector<std::pair<int, Span>>> per_device;
  for (const auto& [key, span] : projection) per_device[key.second].push_back({key.first, span});
  for (auto& [device, list] : per_device) {
    std::sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
      if (a.second.start != b.second.start) return a.second.start < b.second.start;
      if (a.second.end != b.second.end) return a.second.end > b.second.end;
      return ranges[a.first].depth < ranges[b.first].depth;
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
      const std::string thread = "NVTX (GPU projection)" + (lane == 0 ? std::string() : " " + std::to_string(lane + 1));
      Event e;
      e.name = events[ranges[rg].event].name;
      e.category = "nvtx";
      e.start_ns = span.start;
      e.dur_ns = span.end - span.start;
      e.track = trace.track(gpu_pid_base + device, kProjectionTid - static_cast<int64_t>(lane), device_name(device),
                            thread, true);
      e.args = events[ranges[rg].event].args;
      e.args["device_work"] = span.items;
      e.args["projection"] = "GPU time of the work launched inside this NVTX range";
      events.push_back(std::move(e));
    }
  }

  // ---- metadata -----------------------------------------------------------------------------------------------
  trace.metadata["base_time_ns"] = base;
  trace.metadata["clock"] = "CUPTI timestamps (ns), host and GPU on one clock, minus base_time_ns";
  trace.metadata["dropped_records"] = r.dropped;
  if (devices_seen.size() > 1) {
    nlohmann::json list = nlohmann::json::array();
    for (uint32_t d : devices_seen) list.push_back(device_name(d));
    trace.metadata["devices"] = list;
  }
  if (unplaced_syncs > 0) trace.metadata["sync_records_without_call"] = unplaced_syncs;
  if (r.incomplete > 0) {
    warnings.push_back(std::to_string(r.incomplete) + " CUPTI buffer(s) ended in an incomplete record; the rest of "
                       "each was left out");
  }
  if (r.dropped > 0) {
    warnings.push_back("CUPTI dropped " + std::to_string(r.dropped) +
                       " activity record(s) for lack of buffer space: the trace is incomplete");
  }

  order_tracks(trace, ctx.main_tid);
  trace.sort();
  return trace;
}

// ---- NVTX injection ------------------------------------------------------------------------------------------------

// The file of the libcupti this process has loaded: where dladdr says a CUPTI function lives, or, should that name
// the executable (a non-PIE program takes function addresses through its PLT), the loaded object named libcupti.
std::string loaded_cupti_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuptiActivityRegisterCallbacks), &info) != 0 && info.dli_fname != nullptr &&
      std::strstr(info.dli_fname, "cupti") != nullptr) {
    return info.dli_fname;
  }
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* i, size_t, void* out) {
        if (i->dlpi_name != nullptr && std::strstr(i->dlpi_name, "libcupti") != nullptr) {
          *static_cast<std::string*>(out) = i->dlpi_name;
          return 1;
        }
        return 0;
      },
      &found);
  return found;
}

// True when `a` and `b` name the same loaded library (or, failing that, the same file).
bool same_library(const std::string& a, const std::string& b) {
  void* ha = dlopen(a.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  void* hb = dlopen(b.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  const bool same_handle = ha != nullptr && ha == hb;
  if (ha != nullptr) dlclose(ha);
  if (hb != nullptr) dlclose(hb);
  if (same_handle) return true;
  struct stat sa{}, sb{};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// NVTX looks for a tool once, at the first NVTX call in the process, in NVTX_INJECTION64_PATH. Points it at the
// libcupti already loaded, unless it is set; then it is respected, with a warning if it names another library.
// Returns the value in effect ("" if none), and adds a warning when ranges will not reach this session.
// The variable stays set (child processes inherit it, as under Nsight Systems). setenv races with a getenv on
// another thread, so start sessions before the program starts threads that read the environment.
std::string point_nvtx_at_cupti(std::vector<std::string>& warnings) {
  const std::string cupti = loaded_cupti_path();
  const char* existing = std::getenv("NVTX_INJECTION64_PATH");
  if (existing != nullptr && *existing != '\0') {
    if (cupti.empty() || !same_library(existing, cupti)) {
      warnings.push_back(std::string("NVTX_INJECTION64_PATH is set to ") + existing + ", not this process's CUPTI (" +
                         (cupti.empty() ? "not found" : cupti) +
                         "): NVTX ranges go to that tool and will be missing from this trace");
    }
    return existing;
  }
  if (cupti.empty()) {
    warnings.push_back("could not find the loaded libcupti to set NVTX_INJECTION64_PATH: the trace will have no "
                       "NVTX ranges");
    return "";
  }
  setenv("NVTX_INJECTION64_PATH", cupti.c_str(), 0);  // 0: never overwrite a value set meanwhile
  const char* now = std::getenv("NVTX_INJECTION64_PATH");
  return now != nullptr ? now : "";
}

// ---- the session ---------------------------------------------------------------------------------------------------

class CuptiSession;

// The one active session: CUPTI's buffer-completed callback has no user pointer, so it finds the session here.
// Set by start_cupti_session, cleared by finish (or the destructor), both under g_mutex, as is every use.
std::mutex g_mutex;
CuptiSession* g_active = nullptr;

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records);
void CUPTIAPI buffer_completed(CUcontext context, uint32_t stream, uint8_t* buffer, size_t size, size_t valid);
void CUPTIAPI ignore_callback(void*, CUpti_CallbackDomain, CUpti_CallbackId, const void*) {}

// The GPU backends' tracer: NVTX ranges, which CUPTI records as marker activity. The category rides along as
// the NVTX category id (and a colour), and comes back in MARKER_DATA records.
class NvtxTracer final : public Tracer {
 public:
  void push_range(const std::string& name, const char* category) override {
    const uint32_t id = category_id(category);
    nvtxEventAttributes_t a{};
    a.version = NVTX_VERSION;
    a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    a.category = id;
    a.colorType = NVTX_COLOR_ARGB;
    a.color = category_color(id);
    a.messageType = NVTX_MESSAGE_TYPE_ASCII;
    a.message.ascii = name.c_str();
    nvtxRangePushEx(&a);
    pushed_.fetch_add(1, std::memory_order_relaxed);
  }
  void pop_range() override { nvtxRangePop(); }
  uint64_t pushed() const { return pushed_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> pushed_{0};
};

class CuptiSession final : public TraceSession {
 public:
  explicit CuptiSession(std::string process_name) {
    ctx_.process_name = std::move(process_name);
    ctx_.pid = static_cast<uint32_t>(::getpid());
    ctx_.main_tid = static_cast<uint32_t>(::gettid());
  }
  ~CuptiSession() override { stop(); }
  CuptiSession(const CuptiSession&) = delete;
  CuptiSession& operator=(const CuptiSession&) = delete;

  Tracer* tracer() override { return &tracer_; }

  // Subscribes, enables the kinds and points NVTX at CUPTI. On failure undoes what it did and says why.
  bool start(std::string* why) {
    auto fail = [&](const std::string& reason) {
      undo_start();
      if (why != nullptr) *why = reason;
      return false;
    };
    // Names of the devices, queried before CUPTI records anything so these calls stay out of the trace.
    int count = 0;
    if (const cudaError_t err = cudaGetDeviceCount(&count); err != cudaSuccess || count == 0) {
      (void)cudaGetLastError();
      return fail(err != cudaSuccess ? "no CUDA device: " + cuda_error("cudaGetDeviceCount", err)
                                     : std::string("no CUDA device: cudaGetDeviceCount found none"));
    }
    for (int d = 0; d < count; ++d) {
      cudaDeviceProp prop{};
      ctx_.device_names.push_back(cudaGetDeviceProperties(&prop, d) == cudaSuccess ? prop.name : "unknown device");
    }
    int current = 0;
    if (cudaGetDevice(&current) != cudaSuccess || current < 0 || current >= count) current = 0;
    current_device_ = current;

    if (const CUptiResult res = cuptiSubscribe(&subscriber_, ignore_callback, nullptr); res != CUPTI_SUCCESS) {
      subscriber_ = nullptr;
      return fail(cupti_error("cuptiSubscribe", res));
    }
    subscribed_ = true;
    // System thread ids (gettid), as the OS and Perfetto number threads; CUPTI's default is pthread_self().
    if (const CUptiResult res = cuptiSetThreadIdType(CUPTI_ACTIVITY_THREAD_ID_TYPE_SYSTEM); res != CUPTI_SUCCESS) {
      warnings_.push_back(cupti_error("cuptiSetThreadIdType(SYSTEM)", res) + "; thread ids are pthread ids");
    }
    if (const CUptiResult res = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
        res != CUPTI_SUCCESS) {
      return fail(cupti_error("cuptiActivityRegisterCallbacks", res));
    }
    for (CUpti_ActivityKind kind : kRequiredKinds) {
      if (const CUptiResult res = cuptiActivityEnable(kind); res != CUPTI_SUCCESS) {
        return fail(cupti_error(std::string("cuptiActivityEnable(") + kind_name(kind) + ")", res));
      }
      enabled_.push_back(kind);
    }
    for (CUpti_ActivityKind kind : kOptionalKinds) {
      if (const CUptiResult res = cuptiActivityEnable(kind); res != CUPTI_SUCCESS) {
        warnings_.push_back(cupti_error(std::string("cuptiActivityEnable(") + kind_name(kind) + ")", res) +
                            "; NVTX ranges lose their op category");
        continue;
      }
      enabled_.push_back(kind);
    }
    uint64_t now = 0;
    if (const CUptiResult res = cuptiGetTimestamp(&now); res != CUPTI_SUCCESS) {
      return fail(cupti_error("cuptiGetTimestamp", res));
    }
    ctx_.base_ns = now;
    if (const CUptiResult res = cuptiGetVersion(&cupti_version_); res != CUPTI_SUCCESS) cupti_version_ = 0;

    // Last, NVTX: the first NVTX call (naming the categories) loads the injection, i.e. attaches CUPTI.
    nvtx_injection_ = point_nvtx_at_cupti(warnings_);
    for (size_t i = 0; i < std::size(kCategories); ++i) nvtxNameCategoryA(static_cast<uint32_t>(i + 1), kCategories[i]);
    running_ = true;
    return true;
  }

  Trace finish() override {
    if (finished_) return Trace{};
    uint64_t stop_ns = UINT64_MAX;
    if (cuptiGetTimestamp(&stop_ns) != CUPTI_SUCCESS) stop_ns = UINT64_MAX;
    stop();
    finished_ = true;

    ctx_.stop_ns = stop_ns;
    ctx_.ranges_pushed = tracer_.pushed();
    Trace trace = build_trace(records_, ctx_, warnings_);
    records_ = Records{};
    trace.metadata["device"] = current_device_ < static_cast<int>(ctx_.device_names.size())
                                   ? ctx_.device_names[current_device_] : std::string("unknown device");
    trace.metadata["cupti_version"] = cupti_version_;
    trace.metadata["cupti_api_version_built"] = CUPTI_API_VERSION;
    trace.metadata["nvtx_injection"] = nvtx_injection_;
    trace.metadata["nvtx_ranges_pushed"] = ctx_.ranges_pushed;
    if (!warnings_.empty()) trace.metadata["warnings"] = warnings_;
    for (const std::string& w : warnings_) warn(w);
    return trace;
  }

  // From buffer_completed, under g_mutex: the records of one buffer.
  void add(Records&& r) { records_.merge(std::move(r)); }

 private:
  // Waits for the GPU, collects every buffer, disables what start enabled, lets go of CUPTI and of the slot.
  // Safe to call more than once, and after a failed start.
  void stop() noexcept {
    if (running_) {
      running_ = false;
      if (const cudaError_t err = cudaDeviceSynchronize(); err != cudaSuccess) {
        (void)cudaGetLastError();
        note([&] { return cuda_error("cudaDeviceSynchronize", err) + " before collecting: GPU records may be lost"; });
      }
      if (const CUptiResult res = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED); res != CUPTI_SUCCESS) {
        note([&] { return cupti_error("cuptiActivityFlushAll", res); });
      }
    }
    undo_start();
  }

  // Adds the warning `make()` returns; a warning lost to a failed allocation is not worth a crash here.
  template <typename Make>
  void note(Make make) noexcept {
    try {
      warnings_.push_back(make());
    } catch (...) {
    }
  }

  void undo_start() noexcept {
    bool disabled_any = false;
    for (CUpti_ActivityKind kind : enabled_) {
      if (const CUptiResult res = cuptiActivityDisable(kind); res != CUPTI_SUCCESS) {
        note([&] { return cupti_error(std::string("cuptiActivityDisable(") + kind_name(kind) + ")", res); });
      }
      disabled_any = true;
    }
    enabled_.clear();
    if (disabled_any) {
      // Whatever was recorded between the first flush and the disabling (nothing, normally).
      (void)cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    }
    size_t dropped = 0;
    if (subscribed_) {
      if (cuptiActivityGetNumDroppedRecords(nullptr, 0, &dropped) != CUPTI_SUCCESS) dropped = 0;
      (void)cuptiUnsubscribe(subscriber_);
      subscribed_ = false;
      subscriber_ = nullptr;
    }
    // No CUPTI call is ever made while holding g_mutex: CUPTI may hold its own locks around our callbacks.
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_active == this) {
      records_.dropped += dropped;
      g_active = nullptr;
    }
  }

  BuildContext ctx_;
  NvtxTracer tracer_;
  Records records_;  // filled by add() under g_mutex while this session is g_active
  std::vector<std::string> warnings_;
  std::vector<CUpti_ActivityKind> enabled_;
  CUpti_SubscriberHandle subscriber_ = nullptr;
  bool subscribed_ = false;
  bool running_ = false;
  bool finished_ = false;
  int current_device_ = 0;
  uint32_t cupti_version_ = 0;
  std::string nvtx_injection_;
};

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *max_records = 0;  // as many as fit
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kBufferAlign, kBufferBytes));
  *size = *buffer != nullptr ? kBufferBytes : 0;  // no buffer: CUPTI drops records and counts them
}

// Copies the records out (outside the lock: no CUPTI call under g_mutex), hands them to the active session, if
// any (else the session has finished and they are dropped), frees the buffer. Never throws: it runs inside CUPTI.
void CUPTIAPI buffer_completed(CUcontext context, uint32_t stream, uint8_t* buffer, size_t, size_t valid) {
  try {
    Records r;
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(context, stream, &dropped) == CUPTI_SUCCESS) r.dropped = dropped;
    try {
      parse_buffer(buffer, valid, r);
    } catch (const std::bad_alloc&) {
      ++r.incomplete;  // out of memory while copying: the rest of this buffer is lost
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    if (g_active != nullptr) g_active->add(std::move(r));
  } catch (...) {
  }
  std::free(buffer);
}

}  // namespace

std::unique_ptr<TraceSession> start_cupti_session(const std::string& process_name, std::string* why) {
  try {
    auto session = std::make_unique<CuptiSession>(process_name);
    {
      std::lock_guard<std::mutex> lock(g_mutex);
      if (g_active != nullptr) {
        if (why != nullptr) {
          *why = "a CUPTI session is already active in this process (finish it before starting another)";
        }
        return nullptr;
      }
      g_active = session.get();
    }
    if (!session->start(why)) return nullptr;  // start released the slot and said why
    return session;
  } catch (const std::exception& e) {  // out of memory, most likely; the session's destructor released the slot
    if (why != nullptr) *why = std::string("cannot start the CUPTI session: ") + e.what();
    return nullptr;
  }
}

}  // namespace qwen3::prof
