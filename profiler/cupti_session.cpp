// The CUPTI session: what the GPU did, recorded by NVIDIA's CUPTI Activity API, with the backend's ranges as NVTX.
// This file is the session's life cycle; the three things it drives each have their own file:
//   cupti_nvtx.h           the tracer the backends get (NVTX ranges) and pointing NVTX's injection at CUPTI
//   cupti_records.h        step 1: copying the records out of each buffer CUPTI hands back
//   cupti_trace_builder.h  step 2: the collected records -> a Trace (tracks, events, flows, GPU projection)
//
//   start_cupti_session                          finish()
//   ------------------------------------------   ------------------------------------------------------------
//   claim the process's one session slot         cudaDeviceSynchronize: every kernel has finished
//   cuptiSubscribe (one CUPTI client at a time)  cuptiActivityFlushAll(FORCED): CUPTI hands back every buffer
//   cuptiActivityRegisterCallbacks               disable the kinds, unsubscribe, release the slot
//   cuptiActivityEnable for each kind below      records -> Trace (build_trace, cupti_trace_builder.h)
//   point NVTX's injection at this CUPTI
//
// CUPTI writes records into 8 MB buffers we lend it (buffer_requested) and hands each back when it is full or
// flushed (buffer_completed), possibly on a thread of its own. We copy what we need out of every record (the
// name strings too: CUPTI owns them) and free the buffer. That callback has no user pointer, which is why one
// static pointer to the active session exists, guarded by one mutex, and why only one session runs at a time.
//
// Builds without CUPTI compile cupti_unavailable.cpp instead of these four files.
#include <cupti.h>
#include <cuda_runtime.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "profiler/cupti_nvtx.h"
#include "profiler/cupti_records.h"
#include "profiler/cupti_trace_builder.h"
#include "profiler/session.h"

namespace qwen3::prof {

namespace {

using cupti::BuildContext;
using cupti::NvtxTracer;
using cupti::Records;

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

// ---- the session ---------------------------------------------------------------------------------------------------

class CuptiSession;

// The one active session: CUPTI's buffer-completed callback has no user pointer, so it finds the session here.
// Set by start_cupti_session, cleared by finish (or the destructor), both under g_mutex, as is every use.
std::mutex g_mutex;
CuptiSession* g_active = nullptr;

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records);
void CUPTIAPI buffer_completed(CUcontext context, uint32_t stream, uint8_t* buffer, size_t size, size_t valid);
void CUPTIAPI ignore_callback(void*, CUpti_CallbackDomain, CUpti_CallbackId, const void*) {}

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
    nvtx_injection_ = cupti::point_nvtx_at_cupti(warnings_);
    cupti::name_nvtx_categories();
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
    Trace trace = cupti::build_trace(records_, ctx_, warnings_);
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
      cupti::read_activity_buffer(buffer, valid, r);
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
