// The host session: the CPU backend's ranges, timed with std::chrono::steady_clock on the calling thread.
#include <unistd.h>

#include <chrono>
#include <vector>

#include "profiler/session.h"

namespace qwen3::prof {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class HostTracer final : public Tracer {
 public:
  HostTracer(Trace* trace, size_t track) : trace_(trace), track_(track) {}

  void push_range(const std::string& name, const char* category) override {
    open_.push_back(Open{name, category, now_ns()});
  }

  void pop_range() override {
    const int64_t end = now_ns();
    if (open_.empty()) return;  // unbalanced pop: ignore rather than crash
    Open o = std::move(open_.back());
    open_.pop_back();
    Event e;
    e.name = std::move(o.name);
    e.category = o.category;
    e.start_ns = o.start;
    e.dur_ns = end - o.start;
    e.track = track_;
    trace_->events.push_back(std::move(e));
  }

 private:
  struct Open {
    std::string name;
    const char* category;
    int64_t start;
  };
  Trace* trace_;
  size_t track_;
  std::vector<Open> open_;
};

class HostSession final : public TraceSession {
 public:
  explicit HostSession(const std::string& process_name)
      : tracer_(&trace_, trace_.track(::getpid(), ::gettid(), process_name, "main thread", false)) {
    trace_.metadata["clock"] = "steady_clock";
  }
  Tracer* tracer() override { return &tracer_; }
  Trace finish() override {
    trace_.sort();
    return std::move(trace_);
  }

 private:
  Trace trace_;  // declared before tracer_, which points into it
  HostTracer tracer_;
};

}  // namespace

std::unique_ptr<TraceSession> start_host_session(const std::string& process_name) {
  return std::make_unique<HostSession>(process_name);
}

}  // namespace qwen3::prof
