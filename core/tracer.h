// The one small API through which backends mark named ranges for the profiler (profiler/): "forward",
// "layer 12", "layer 12 / attention / q_proj", ... A backend receives a Tracer* in ForwardOptions (never a
// global) and brackets each step with a TraceScope; with no tracer the scopes cost one branch.
// The CPU backend's tracer records host time (profiler/host_tracer.h); the GPU backends' tracer pushes NVTX
// ranges, which CUPTI collects alongside the kernels (profiler/cupti_tracer.h).
#pragma once
#include <string>

namespace qwen3 {

class Tracer {
 public:
  virtual ~Tracer() = default;
  // Opens a range named `name` on the calling thread; ranges nest and close in reverse order.
  // `category` is one of the trace categories (profiler/trace.h), e.g. "gemm" for a projection.
  virtual void push_range(const std::string& name, const char* category) = 0;
  virtual void pop_range() = 0;
};

// Opens a range for the lifetime of the scope (nothing when tracer is null).
class TraceScope {
 public:
  TraceScope(Tracer* tracer, const std::string& name, const char* category = "host") : tracer_(tracer) {
    if (tracer_) tracer_->push_range(name, category);
  }
  ~TraceScope() {
    if (tracer_) tracer_->pop_range();
  }
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  Tracer* tracer_;
};

}  // namespace qwen3
