// The per-kernel summary (the seed analysis's kernel table): for each kernel name its category, calls, total,
// mean, min, max and share of the time, then the same rolled up by category, so "matmul share of GPU time"
// is one number.
// What is summed: GPU work (kernels, copies, fills on GPU stream tracks) when the trace has any; otherwise
// (a CPU-backend trace) the leaf host ranges, i.e. the ops, which carry the same categories.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "profiler/trace.h"

namespace qwen3::prof {

struct NameStats {
  std::string name;
  std::string category;
  int64_t calls = 0;
  int64_t total_ns = 0, min_ns = 0, max_ns = 0;
  double mean_ns = 0;
  double share = 0;  // of Summary::total_ns, in [0, 1]
};

struct Summary {
  std::string basis;                    // "GPU kernels, copies and fills" or "host leaf ranges (ops)"
  int64_t total_ns = 0;                 // sum of the durations summarised
  std::vector<NameStats> by_name;       // sorted by total, largest first
  std::vector<NameStats> by_category;   // the same, per category (name = category)
};

Summary summarize(const Trace& trace);
// Two tables: by category, then the `top` kernels by total time.
void print_summary(const Summary& s, std::ostream& out, size_t top = 25);
// CSV: level,name,category,calls,total_us,mean_us,min_us,max_us,share_percent. IoError if not writable.
void write_summary_csv(const Summary& s, const std::string& path);
void write_summary_json(const Summary& s, const std::string& path);

}  // namespace qwen3::prof
