// Statistics per slice name and per category, as in Tracy's statistics window: calls, total, mean, median,
// min, max, standard deviation, and each one's share of "the work".
//
// "The work" (the basis, Trace::is_basis) is what a learner asks "where does the time go?" about: the GPU
// kernels, copies and fills when the trace has GPU tracks, otherwise the leaf ranges (the ops of a CPU
// trace: ranges like "layer 3 / attention / q_proj" that contain no other range). The profiler's summary
// (profiler/summary.h) uses the same basis, so the two agree.
//
//   share(row) = time of the row's basis slices / time of all basis slices
// so the shares of the basis rows add up to 100%; a row that is no work itself (an enclosing range such as
// "forward") has no share in that sense and shows its total instead.
//
// Each row keeps its durations sorted (median, histogram) and the ids of the names it groups (clicking a row
// highlights exactly those slices).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "viewer/trace.h"

namespace qwen3::viewer {

enum class StatsScope : uint8_t {
  Basis,  // only the work: GPU kernels/copies (or leaf ranges of a CPU trace)
  All,    // every slice, enclosing ranges included
};

struct StatsOptions {
  StatsScope scope = StatsScope::Basis;
  bool merge_layers = false;  // "layer 12 / attention / q_proj" and "layer 3 / ..." count as one op
  // GPU work counted under the host range that launched it: a kernel linked by a flow to its launch
  // (cudaLaunchKernel) is filed under the launch's enclosing range ("layer 3 / attention / q_proj").
  // The naive and the optimised backend run different kernels for the same op; by op they compare.
  // Implies the Basis scope. Kernels without a flow keep their own name.
  bool by_op = false;
};

struct StatsRow {
  std::string label;           // the name (or "layer * / ..." merged), or the category
  uint32_t category = kNone;   // the category of the row's first slice (string id): its colour
  int64_t calls = 0;
  Ns total = 0, min = 0, max = 0, median = 0;
  double mean = 0, stddev = 0;  // population standard deviation
  Ns basis_total = 0;          // of total, the part in basis slices
  double share = 0;            // basis_total / Stats::basis_total
  Ns self_total = 0;           // total minus time in children
  std::vector<uint32_t> names; // name ids grouped in this row (one unless merge_layers)
  std::string search;          // the label, then the rows' full names, newline-separated: what the filter reads
  uint32_t dur_begin = 0;      // sorted durations: Stats::durations[dur_begin, dur_begin + calls)
};

struct Stats {
  std::string basis;           // "GPU kernels, copies and fills" or "leaf ranges (ops)"
  Ns basis_total = 0;
  int64_t basis_calls = 0;
  std::vector<StatsRow> by_name;      // sorted by total, largest first
  std::vector<StatsRow> by_category;  // the same per category
  std::vector<Ns> durations;          // per by_name row, its slices' durations sorted ascending
};

Stats compute_stats(const Trace& trace, const StatsOptions& options = {});

// For every slice, the name it is counted under with by_op: the launching range's name for GPU work
// reached by a flow, its own name otherwise.
std::vector<uint32_t> op_names(const Trace& trace);

// "layer 12 / attention / q_proj" -> "layer * / attention / q_proj"; every "layer <digits>" (also "layers.12"
// or "layer_12") has its number replaced by "*". Other names are returned unchanged.
std::string merge_layer_numbers(std::string_view name);

// Sorting the table: by one column, ascending or descending; ties by label.
enum class StatsColumn : uint8_t { Name, Calls, Total, Mean, Median, Min, Max, StdDev, Share, Self };
void sort_rows(std::vector<StatsRow>& rows, StatsColumn column, bool ascending);

// A histogram of one row's durations: `bins` bins, log-spaced between the row's min and max (linear when
// they are within a factor of 2). counts[i] covers [edges[i], edges[i+1]).
struct Histogram {
  std::vector<double> edges;
  std::vector<uint32_t> counts;
  bool log_scale = false;
};
Histogram histogram(const Stats& stats, const StatsRow& row, int bins);

}  // namespace qwen3::viewer
