#include "profiler/summary.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <ostream>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace qwen3::prof {

namespace {

constexpr const char* kGpuBasis = "GPU kernels, copies and fills";

// The events a summary sums: device work on GPU tracks, or else the host ranges that contain no other range.
std::vector<Event> summarised_events(const Trace& trace, std::string* basis) {
  std::vector<Event> picked;
  for (const Event& e : trace.events) {
    if (trace.tracks[e.track].gpu && e.category != "nvtx") picked.push_back(e);
  }
  if (!picked.empty()) {
    *basis = kGpuBasis;
    return picked;
  }
  *basis = "host leaf ranges (ops)";
  Trace sorted = trace;  // sorted, a leaf is an event not followed on its track by one that starts inside it
  sorted.sort();
  for (size_t i = 0; i < sorted.events.size(); ++i) {
    const Event& e = sorted.events[i];
    const bool has_child = i + 1 < sorted.events.size() && sorted.events[i + 1].track == e.track &&
                           sorted.events[i + 1].start_ns < e.start_ns + e.dur_ns;
    if (!has_child) picked.push_back(e);
  }
  return picked;
}

void add(NameStats& s, int64_t dur) {
  s.min_ns = s.calls == 0 ? dur : std::min(s.min_ns, dur);
  s.max_ns = s.calls == 0 ? dur : std::max(s.max_ns, dur);
  s.calls += 1;
  s.total_ns += dur;
}

std::vector<NameStats> finish(std::map<std::string, NameStats>& m, int64_t total) {
  std::vector<NameStats> v;
  for (auto& [key, s] : m) {
    s.mean_ns = s.calls ? double(s.total_ns) / double(s.calls) : 0.0;
    s.share = total ? double(s.total_ns) / double(total) : 0.0;
    v.push_back(s);
  }
  std::sort(v.begin(), v.end(), [](const NameStats& a, const NameStats& b) {
    return a.total_ns != b.total_ns ? a.total_ns > b.total_ns : a.name < b.name;
  });
  return v;
}

// "layer 12 / attention / q_proj" -> "attention / q_proj": ranges repeated per layer are summed as one op.
// GPU kernels are summed by their short name (short_kernel_name).
std::string summary_name(const Event& e, bool gpu) {
  if (gpu) return short_kernel_name(e.name);
  if (e.name.rfind("layer ", 0) == 0) {
    const size_t slash = e.name.find(" / ");
    if (slash != std::string::npos) return e.name.substr(slash + 3);
  }
  return e.name;
}

}  // namespace

Summary summarize(const Trace& trace) {
  Summary s;
  std::map<std::string, NameStats> by_name, by_cat;
  for (const Event& e : summarised_events(trace, &s.basis)) {
    const std::string name = summary_name(e, s.basis == kGpuBasis);
    NameStats& n = by_name[name];
    n.name = name, n.category = e.category;
    add(n, e.dur_ns);
    NameStats& c = by_cat[e.category];
    c.name = c.category = e.category;
    add(c, e.dur_ns);
    s.total_ns += e.dur_ns;
  }
  s.by_name = finish(by_name, s.total_ns);
  s.by_category = finish(by_cat, s.total_ns);
  return s;
}

void print_summary(const Summary& s, std::ostream& out, size_t top) {
  char line[512];
  std::snprintf(line, sizeof line, "summary of %s: %.3f ms in all\n\n", s.basis.c_str(), s.total_ns / 1e6);
  out << line;
  auto table = [&](const char* title, const std::vector<NameStats>& rows, size_t limit) {
    std::snprintf(line, sizeof line, "%-44s %-12s %7s %12s %11s %11s %11s %7s\n", title,
                  rows.data() == s.by_category.data() ? "" : "category", "calls", "total ms", "mean us", "min us",
                  "max us", "share");
    out << line;
    for (size_t i = 0; i < rows.size() && i < limit; ++i) {
      const NameStats& r = rows[i];
      const std::string name = r.name.size() > 44 ? r.name.substr(0, 41) + "..." : r.name;
      std::snprintf(line, sizeof line, "%-44s %-12s %7lld %12.3f %11.2f %11.2f %11.2f %6.1f%%\n", name.c_str(),
                    rows.data() == s.by_category.data() ? "" : r.category.c_str(), static_cast<long long>(r.calls), r.total_ns / 1e6, r.mean_ns / 1e3,
                    r.min_ns / 1e3, r.max_ns / 1e3, 100.0 * r.share);
      out << line;
    }
    if (rows.size() > limit) out << "... " << rows.size() - limit << " more (see the CSV)\n";
    out << "\n";
  };
  table("category", s.by_category, s.by_category.size());
  table("kernel / op", s.by_name, top);
}

void write_summary_csv(const Summary& s, const std::string& path) {
  std::ofstream f(path);
  if (!f) throw IoError("cannot write the summary to " + path);
  f << "level,name,category,calls,total_us,mean_us,min_us,max_us,share_percent\n";
  auto rows = [&](const char* level, const std::vector<NameStats>& v) {
    for (const NameStats& r : v) {
      std::string name;  // CSV-quoted: any quote doubled
      for (char ch : r.name) name += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      char buf[256];
      std::snprintf(buf, sizeof buf, ",%s,%lld,%.3f,%.3f,%.3f,%.3f,%.4f\n", r.category.c_str(),
                    static_cast<long long>(r.calls), r.total_ns / 1e3, r.mean_ns / 1e3, r.min_ns / 1e3, r.max_ns / 1e3,
                    100.0 * r.share);
      f << level << ",\"" << name << "\"" << buf;
    }
  };
  rows("category", s.by_category);
  rows("name", s.by_name);
  if (!f.flush()) throw IoError("cannot write the summary to " + path);
}

void write_summary_json(const Summary& s, const std::string& path) {
  auto rows = [](const std::vector<NameStats>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const NameStats& r : v) {
      a.push_back({{"name", r.name}, {"category", r.category}, {"calls", r.calls}, {"total_us", r.total_ns / 1e3},
                   {"mean_us", r.mean_ns / 1e3}, {"min_us", r.min_ns / 1e3}, {"max_us", r.max_ns / 1e3},
                   {"share", r.share}});
    }
    return a;
  };
  const nlohmann::json j = {{"basis", s.basis}, {"total_us", s.total_ns / 1e3},
                            {"by_category", rows(s.by_category)}, {"by_name", rows(s.by_name)}};
  std::ofstream f(path);
  if (!f || !(f << j.dump(2) << "\n") || !f.flush()) throw IoError("cannot write the summary to " + path);
}

}  // namespace qwen3::prof
