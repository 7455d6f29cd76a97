// Step 2 of the CUPTI session (cupti_session.cpp): the records read from CUPTI's buffers (cupti_records.h) -> a
// Trace (profiler/trace.h), all on CUPTI's one nanosecond clock (host and device alike), minus the session's start
// time (metadata "base_time_ns") so that microseconds with three decimals stay exact in a double:
//   runtime API call   host thread (pid, tid)   "cudaLaunchKernel", ...   runtime (sync for *Synchronize)
//   NVTX start/end     host thread              the backend's ranges      nvtx (matched by marker id)
//   synchronization    host thread of its call  "stream synchronize"...   sync
//   kernel             "GPU d: <name>" / "stream N"   demangled name      gemm, attention, norm, elementwise
//   memcpy / memset    the same stream tracks   "Memcpy HtoD", "Memset"   memcpy / memset
//   flow               runtime call -> the kernel, copy or fill it started (the same correlation id)
//   GPU projection     "GPU d" / "NVTX (GPU projection)": each range from the start of the first device work
//                      launched inside it to the end of the last, so the GPU timeline shows the layers.
// Pure: no CUPTI state is touched (only CUPTI's table of runtime-call names is read), so it runs after the session
// has let go of CUPTI.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "profiler/cupti_records.h"
#include "profiler/trace.h"

namespace qwen3::prof::cupti {

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

// The trace of everything in `r`, its tracks ordered for a reader (host threads, the main thread on top; then
// each GPU with its NVTX projection lanes above its streams) and its events sorted (Trace::sort). What could not
// be placed (records without timestamps, unclosed ranges, work without a launch, dropped records, ...) is left out
// and counted in a line appended to `warnings`.
Trace build_trace(const Records& r, const BuildContext& ctx, std::vector<std::string>& warnings);

}  // namespace qwen3::prof::cupti
