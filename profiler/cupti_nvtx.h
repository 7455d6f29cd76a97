// The NVTX side of the CUPTI session (cupti_session.cpp): how the backend's ranges get into the trace.
//   NvtxTracer           the Tracer the GPU backends are given: each range becomes an NVTX push/pop, its category
//                        an NVTX category id (and a colour for tools that draw ranges themselves)
//   point_nvtx_at_cupti  NVTX delivers ranges to one tool, loaded from NVTX_INJECTION64_PATH at the first NVTX
//                        call in the process: the session points that at the libcupti it uses, which then
//                        records each push and pop as a MARKER activity record (read in cupti_records.h)
//   category_of_id       the way back, for the trace builder (cupti_trace_builder.h): MARKER_DATA's category id
//                        -> the tracer's category name
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tracer.h"

namespace qwen3::prof::cupti {

// The tracer's categories travel through NVTX as category ids: index in kCategories (profiler/trace.h) + 1,
// 0 = none. category_of_id(category_id(c)) == c for each of them; nullptr for 0 or an unknown id.
uint32_t category_id(const char* category);
const char* category_of_id(uint32_t id);

// A colour per category id for tools that draw NVTX ranges themselves (Nsight Systems), ARGB.
uint32_t category_color(uint32_t id);

// The GPU backends' tracer: NVTX ranges, which CUPTI records as marker activity. The category rides along as
// the NVTX category id (and a colour), and comes back in MARKER_DATA records.
class NvtxTracer final : public Tracer {
 public:
  void push_range(const std::string& name, const char* category) override;
  void pop_range() override;
  // How many ranges were pushed: the trace builder warns when some were pushed but none reached CUPTI.
  uint64_t pushed() const { return pushed_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> pushed_{0};
};

// Names the NVTX categories (1 .. size of kCategories) after the tracer's categories. This is the session's first
// NVTX call, so it is also the one that loads the injection, i.e. attaches CUPTI: call it after
// point_nvtx_at_cupti.
void name_nvtx_categories();

// NVTX looks for a tool once, at the first NVTX call in the process, in NVTX_INJECTION64_PATH. Points it at the
// libcupti already loaded, unless it is set; then it is respected, with a warning if it names another library.
// Returns the value in effect ("" if none), and adds a warning when ranges will not reach this session.
// The variable stays set (child processes inherit it, as under Nsight Systems). setenv races with a getenv on
// another thread, so start sessions before the program starts threads that read the environment.
std::string point_nvtx_at_cupti(std::vector<std::string>& warnings);

}  // namespace qwen3::prof::cupti
