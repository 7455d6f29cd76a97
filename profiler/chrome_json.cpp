#include "profiler/chrome_json.h"

#include <zlib.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>

#include "core/error.h"

namespace qwen3::prof {

namespace {

// Nanoseconds as microseconds with three decimals: 1234567 -> "1234.567" (exact, no floating point).
std::string micros(int64_t ns) {
  char buf[40];
  const char* sign = ns < 0 ? "-" : "";
  const uint64_t a = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  std::snprintf(buf, sizeof buf, "%s%" PRIu64 ".%03" PRIu64, sign, a / 1000, a % 1000);
  return buf;
}

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// "pid":P,"tid":T of a track
std::string where(const Track& t) {
  return "\"pid\":" + std::to_string(t.pid) + ",\"tid\":" + std::to_string(t.tid);
}

}  // namespace

std::string chrome_json(const Trace& trace) {
  std::string out = "{\"traceEvents\":[\n";
  bool first = true;
  auto emit = [&](const std::string& e) {
    out += first ? "" : ",\n";
    out += e;
    first = false;
  };
  // Metadata: process and thread names, and a sort order that keeps host processes above GPU ones.
  std::vector<int64_t> named_pids;
  for (size_t i = 0; i < trace.tracks.size(); ++i) {
    const Track& t = trace.tracks[i];
    if (std::find(named_pids.begin(), named_pids.end(), t.pid) == named_pids.end()) {
      named_pids.push_back(t.pid);
      emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + std::to_string(t.pid) + ",\"args\":{\"name\":" +
           quoted(t.process_name) + "}}");
      emit("{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":" + std::to_string(t.pid) +
           ",\"args\":{\"sort_index\":" + std::to_string(named_pids.size()) + "}}");
    }
    emit("{\"ph\":\"M\",\"name\":\"thread_name\"," + where(t) + ",\"args\":{\"name\":" + quoted(t.thread_name) + "}}");
    emit("{\"ph\":\"M\",\"name\":\"thread_sort_index\"," + where(t) + ",\"args\":{\"sort_index\":" +
         std::to_string(i) + "}}");
  }
  // Complete events.
  for (const Event& e : trace.events) {
    std::string s = "{\"ph\":\"X\",\"name\":" + quoted(e.name) + ",\"cat\":" + quoted(e.category) + "," +
                    where(trace.tracks[e.track]) + ",\"ts\":" + micros(e.start_ns) + ",\"dur\":" + micros(e.dur_ns);
    if (!e.args.empty()) s += ",\"args\":" + e.args.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    emit(s + "}");
  }
  // Flows: "s" at the launch, "f" bound to the enclosing slice ("bp":"e") at the kernel's start.
  for (const Flow& f : trace.flows) {
    const Event &from = trace.events[f.from], &to = trace.events[f.to];
    const std::string id = std::to_string(f.id);
    emit("{\"ph\":\"s\",\"id\":" + id + ",\"name\":\"launch\",\"cat\":\"flow\"," + where(trace.tracks[from.track]) +
         ",\"ts\":" + micros(from.start_ns) + "}");
    emit("{\"ph\":\"f\",\"bp\":\"e\",\"id\":" + id + ",\"name\":\"launch\",\"cat\":\"flow\"," +
         where(trace.tracks[to.track]) + ",\"ts\":" + micros(to.start_ns) + "}");
  }
  out += "\n],\"displayTimeUnit\":\"ns\",\"otherData\":" +
         trace.metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "}\n";
  return out;
}

void write_chrome_trace(const Trace& trace, const std::string& path) {
  const std::string text = chrome_json(trace);
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (gz) {
    gzFile f = gzopen(path.c_str(), "wb");
    if (!f) throw IoError("cannot write the trace to " + path);
    const int written = gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    if (gzclose(f) != Z_OK || written != static_cast<int>(text.size())) throw IoError("cannot write the trace to " + path);
    return;
  }
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text) || !f.flush()) throw IoError("cannot write the trace to " + path);
}

}  // namespace qwen3::prof
