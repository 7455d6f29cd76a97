// A tracing session: hands a Tracer to the backend's forward passes, then turns what was recorded into a
// Trace. Two kinds:
//   host  (profiler/host_session.cpp)   ranges timed on the host with std::chrono: the CPU backend
//   cupti (profiler/cupti_session.cpp)  NVTX ranges + kernels, copies, runtime calls from CUPTI: GPU backends
//                                       (its parts: cupti_nvtx.h, cupti_records.h, cupti_trace_builder.h)
#pragma once
#include <memory>
#include <string>

#include "core/tracer.h"
#include "profiler/trace.h"

namespace qwen3::prof {

class TraceSession {
 public:
  virtual ~TraceSession() = default;
  // The tracer to put in ForwardOptions for the passes to be traced.
  virtual Tracer* tracer() = 0;
  // Stops recording (flushing whatever is buffered) and returns the trace. Call once.
  virtual Trace finish() = 0;
};

// Host ranges on the calling thread's track of process `process_name`.
std::unique_ptr<TraceSession> start_host_session(const std::string& process_name);

// CUPTI + NVTX for the GPU backends. Returns nullptr, with the reason in `why`, when CUPTI is not built in,
// cannot start, or another profiler already holds it: the caller then runs untraced and says so.
std::unique_ptr<TraceSession> start_cupti_session(const std::string& process_name, std::string* why);

}  // namespace qwen3::prof
