// Compare mode: two traces of the same work (e.g. cuda_naive and cuda_opt on the same input), op by op.
//
// Both traces are summarised with the same options (stats.h) and joined on the row label, so with
// "merge layers" the 28 copies of "layer N / attention / q_proj" become one line per op. For each label:
// calls and total time in A and in B, and the ratio B / A (below 1: B is faster). Labels present in only
// one trace are kept, with the other side empty. On the timeline the two traces are stacked with their
// starts aligned: each is drawn relative to its own origin (align_origin).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "viewer/stats.h"
#include "viewer/trace.h"

namespace qwen3::viewer {

struct CompareRow {
  std::string label;
  uint32_t category_a = kNone, category_b = kNone;  // string ids in each trace (colour)
  std::string category;                             // its name, from whichever trace has it
  int64_t calls_a = 0, calls_b = 0;
  Ns total_a = 0, total_b = 0;
  double ratio = 0;   // total_b / total_a; +inf when only B has it, 0 when only A has it
};

struct Comparison {
  std::vector<CompareRow> rows;        // largest max(total_a, total_b) first
  std::vector<CompareRow> categories;  // the same per category
  Ns basis_a = 0, basis_b = 0;         // the work in each (stats.h)
  Ns span_a = 0, span_b = 0;           // first to last event
};

Comparison compare_traces(const Trace& a, const Trace& b, const StatsOptions& options = {});

enum class CompareColumn : uint8_t { Name, CallsA, CallsB, TotalA, TotalB, Ratio, Delta };
void sort_rows(std::vector<CompareRow>& rows, CompareColumn column, bool ascending);

// Where a trace's time 0 goes on the shared axis: its first slice named `name` when there is one (so
// "forward" of A and of B line up), else its start. Absolute ns on the trace's clock.
double align_origin(const Trace& t, std::string_view name);

}  // namespace qwen3::viewer
