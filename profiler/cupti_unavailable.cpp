// start_cupti_session for builds without CUPTI (no CUDA toolkit, or one without CUPTI): always refuses, saying
// why, so that the caller runs untraced (profiler/session.h). The CUPTI build uses cupti_session.cpp (and
// the cupti_*.cpp files it drives) instead.
#include "profiler/session.h"

namespace qwen3::prof {

std::unique_ptr<TraceSession> start_cupti_session(const std::string&, std::string* why) {
  if (why != nullptr) *why = "this build has no CUPTI (built without the CUDA toolkit)";
  return nullptr;
}

}  // namespace qwen3::prof
