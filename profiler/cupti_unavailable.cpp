// start_cupti_session for builds without CUPTI (no CUDA toolkit): always refuses, with the reason.
#include "profiler/session.h"

namespace qwen3::prof {

std::unique_ptr<TraceSession> start_cupti_session(const std::string&, std::string* why) {
  if (why) *why = "this build has no CUPTI (built without the CUDA toolkit)";
  return nullptr;
}

}  // namespace qwen3::prof
