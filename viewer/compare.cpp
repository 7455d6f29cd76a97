#include "viewer/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace qwen3::viewer {

namespace {

std::vector<CompareRow> join(const Trace& ta, const std::vector<StatsRow>& a, const Trace& tb,
                             const std::vector<StatsRow>& b) {
  std::vector<CompareRow> out;
  std::unordered_map<std::string, size_t> index;
  for (const StatsRow& r : a) {
    index.emplace(r.label, out.size());
    CompareRow c;
    c.label = r.label;
    c.category_a = r.category;
    c.category = std::string(ta.str(r.category));
    c.calls_a = r.calls;
    c.total_a = r.total;
    out.push_back(std::move(c));
  }
  for (const StatsRow& r : b) {
    auto [it, fresh] = index.try_emplace(r.label, out.size());
    if (fresh) {
      CompareRow c;
      c.label = r.label;
      c.category = std::string(tb.str(r.category));
      out.push_back(std::move(c));
    }
    CompareRow& c = out[it->second];
    c.category_b = r.category;
    c.calls_b = r.calls;
    c.total_b = r.total;
  }
  for (CompareRow& c : out)
    c.ratio = c.total_a > 0 ? static_cast<double>(c.total_b) / static_cast<double>(c.total_a)
                            : (c.total_b > 0 ? std::numeric_limits<double>::infinity() : 1.0);
  sort_rows(out, CompareColumn::Name, true);
  std::stable_sort(out.begin(), out.end(), [](const CompareRow& x, const CompareRow& y) {
    return std::max(x.total_a, x.total_b) > std::max(y.total_a, y.total_b);
  });
  return out;
}

}  // namespace

Comparison compare_traces(const Trace& a, const Trace& b, const StatsOptions& o) {
  const Stats sa = compute_stats(a, o), sb = compute_stats(b, o);
  Comparison c;
  c.rows = join(a, sa.by_name, b, sb.by_name);
  c.categories = join(a, sa.by_category, b, sb.by_category);
  c.basis_a = sa.basis_total;
  c.basis_b = sb.basis_total;
  c.span_a = a.end - a.start;
  c.span_b = b.end - b.start;
  return c;
}

void sort_rows(std::vector<CompareRow>& rows, CompareColumn col, bool ascending) {
  auto value = [col](const CompareRow& r) -> double {
    switch (col) {
      case CompareColumn::Name: return 0;
      case CompareColumn::CallsA: return static_cast<double>(r.calls_a);
      case CompareColumn::CallsB: return static_cast<double>(r.calls_b);
      case CompareColumn::TotalA: return static_cast<double>(r.total_a);
      case CompareColumn::TotalB: return static_cast<double>(r.total_b);
      case CompareColumn::Ratio: return r.ratio;
      case CompareColumn::Delta: return static_cast<double>(r.total_b - r.total_a);
    }
    return 0;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const CompareRow& x, const CompareRow& y) {
    if (col != CompareColumn::Name) {
      const double vx = value(x), vy = value(y);
      if (vx != vy) return ascending ? vx < vy : vx > vy;
      return x.label < y.label;
    }
    return ascending ? x.label < y.label : x.label > y.label;
  });
}

double align_origin(const Trace& t, std::string_view name) {
  if (!name.empty()) {
    const uint32_t id = t.strings.find(name);
    if (id != kNone) {
      Ns best = std::numeric_limits<Ns>::max();
      for (const Slice& s : t.slices)
        if (s.name == id) best = std::min(best, s.start);
      if (best != std::numeric_limits<Ns>::max()) return static_cast<double>(best);
    }
  }
  return static_cast<double>(t.start);
}

}  // namespace qwen3::viewer
