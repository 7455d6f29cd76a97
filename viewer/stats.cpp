#include "viewer/stats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <unordered_map>

namespace qwen3::viewer {

std::string merge_layer_numbers(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    // "layer" or "layers" (any case, at the start of a word), one separator (' ', '.', '_'), then digits.
    const bool word_start = i == 0 || !std::isalpha(static_cast<unsigned char>(name[i - 1]));
    if (word_start && i + 5 <= name.size() && std::equal(name.begin() + static_cast<long>(i), name.begin() + static_cast<long>(i) + 5,
                                           "layer", [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      size_t j = i + 5;
      if (j < name.size() && (name[j] == 's' || name[j] == 'S')) ++j;
      if (j < name.size() && (name[j] == ' ' || name[j] == '.' || name[j] == '_')) {
        size_t k = j + 1;
        while (k < name.size() && std::isdigit(static_cast<unsigned char>(name[k]))) ++k;
        if (k > j + 1) {
          out.append(name.substr(i, j + 1 - i));
          out += '*';
          i = k;
          continue;
        }
      }
    }
    out += name[i++];
  }
  return out;
}

namespace {

// Rows from slices grouped by `key_of(slice)` in [0, n_keys): a counting sort puts each group's durations
// side by side in `durations`, then each group is sorted (median, min, max, histogram for free).
template <class KeyOf, class InScope>
std::vector<StatsRow> group_rows(const Trace& t, size_t n_keys, KeyOf key_of, InScope in_scope,
                                 std::vector<Ns>& durations) {
  std::vector<uint32_t> count(n_keys + 1, 0);
  for (const Slice& s : t.slices)
    if (in_scope(s)) ++count[key_of(s) + 1];
  std::partial_sum(count.begin(), count.end(), count.begin());
  durations.assign(count.back(), 0);
  std::vector<StatsRow> rows(n_keys);
  std::vector<uint32_t> fill(count.begin(), count.end() - 1);
  for (const Slice& s : t.slices) {
    if (!in_scope(s)) continue;
    const uint32_t k = key_of(s);
    StatsRow& r = rows[k];
    if (r.calls == 0) r.category = s.cat;
    ++r.calls;
    r.total += s.dur;
    r.self_total += s.self;
    if (t.is_basis(s)) r.basis_total += s.dur;
    durations[fill[k]++] = s.dur;
  }
  for (size_t k = 0; k < n_keys; ++k) {
    StatsRow& r = rows[k];
    if (r.calls == 0) continue;
    r.dur_begin = count[k];
    Ns* d = durations.data() + count[k];
    const auto n = static_cast<size_t>(r.calls);
    std::sort(d, d + n);
    r.min = d[0];
    r.max = d[n - 1];
    r.median = n % 2 ? d[n / 2] : d[n / 2 - 1] + (d[n / 2] - d[n / 2 - 1]) / 2;
    r.mean = static_cast<double>(r.total) / static_cast<double>(n);
    double ss = 0;  // two passes: exact enough at nanosecond scale, unlike sum-of-squares minus square-of-sum
    for (size_t i = 0; i < n; ++i) ss += (static_cast<double>(d[i]) - r.mean) * (static_cast<double>(d[i]) - r.mean);
    r.stddev = std::sqrt(ss / static_cast<double>(n));
  }
  return rows;
}

}  // namespace

std::vector<uint32_t> op_names(const Trace& t) {
  std::vector<uint32_t> out(t.slices.size());
  for (size_t i = 0; i < t.slices.size(); ++i) out[i] = t.slices[i].name;
  for (const Flow& f : t.flows) {
    // The launch (cudaLaunchKernel) sits inside the op's range: its parent names the op.
    const uint32_t parent = t.parent_of(f.from);
    out[f.to] = t.slices[parent != kNone ? parent : f.from].name;
  }
  return out;
}

Stats compute_stats(const Trace& t, const StatsOptions& o) {
  Stats st;
  st.basis = t.has_gpu ? "GPU kernels, copies and fills (leaf slices on GPU tracks)"
                       : "leaf ranges: the ops (ranges that contain no other range)";
  for (const Slice& s : t.slices)
    if (t.is_basis(s)) {
      st.basis_total += s.dur;
      ++st.basis_calls;
    }
  const bool by_op = o.by_op && !t.flows.empty();
  auto in_scope = [&](const Slice& s) { return (o.scope == StatsScope::All && !by_op) || t.is_basis(s); };
  // The name each slice counts under: its own, or (by_op) the range that launched it.
  const std::vector<uint32_t> ops = by_op ? op_names(t) : std::vector<uint32_t>{};
  const Slice* base = t.slices.data();
  auto name_of = [&](const Slice& s) { return by_op ? ops[static_cast<size_t>(&s - base)] : s.name; };

  // Name groups: one per name id, or one per "layer *" label.
  std::vector<uint32_t> group_of(t.strings.size(), kNone);
  std::vector<std::string> labels;
  std::vector<std::vector<uint32_t>> names;
  {
    std::unordered_map<std::string, uint32_t> by_label;
    for (const Slice& s : t.slices) {
      const uint32_t n = name_of(s);
      if (!in_scope(s) || group_of[n] != kNone) continue;
      std::string label = o.merge_layers ? merge_layer_numbers(t.label_of(n)) : std::string(t.label_of(n));
      auto [it, fresh] = by_label.try_emplace(label, static_cast<uint32_t>(labels.size()));
      if (fresh) {
        labels.push_back(std::move(label));
        names.emplace_back();
      }
      group_of[n] = it->second;
      names[it->second].push_back(n);
    }
  }
  st.by_name = group_rows(t, labels.size(), [&](const Slice& s) { return group_of[name_of(s)]; }, in_scope, st.durations);
  for (size_t k = 0; k < st.by_name.size(); ++k) {
    st.by_name[k].label = std::move(labels[k]);
    st.by_name[k].names = std::move(names[k]);
    StatsRow& r = st.by_name[k];
    r.search = r.label;
    for (uint32_t n : r.names) {
      if (t.label_of(n) == t.strings[n]) continue;  // shown as it is: already in the label
      r.search += '\n';
      r.search += t.strings[n];
    }
  }

  // Categories: dense ids over the categories that occur.
  std::vector<uint32_t> cat_group(t.strings.size(), kNone);
  std::vector<uint32_t> cats;
  for (const Slice& s : t.slices)
    if (in_scope(s) && cat_group[s.cat] == kNone) {
      cat_group[s.cat] = static_cast<uint32_t>(cats.size());
      cats.push_back(s.cat);
    }
  std::vector<Ns> cat_durations;
  st.by_category = group_rows(t, cats.size(), [&](const Slice& s) { return cat_group[s.cat]; }, in_scope, cat_durations);
  for (size_t k = 0; k < cats.size(); ++k) {
    StatsRow& r = st.by_category[k];
    r.label = t.strings[cats[k]].empty() ? "(no category)" : std::string(t.strings[cats[k]]);
    r.category = cats[k];
    r.dur_begin = 0;  // category durations are not kept
  }

  for (auto* rows : {&st.by_name, &st.by_category})
    for (StatsRow& r : *rows)
      r.share = st.basis_total > 0 ? static_cast<double>(r.basis_total) / static_cast<double>(st.basis_total) : 0.0;
  sort_rows(st.by_name, StatsColumn::Total, false);
  sort_rows(st.by_category, StatsColumn::Total, false);
  return st;
}

void sort_rows(std::vector<StatsRow>& rows, StatsColumn c, bool ascending) {
  auto value = [c](const StatsRow& r) -> double {
    switch (c) {
      case StatsColumn::Name: return 0;
      case StatsColumn::Calls: return static_cast<double>(r.calls);
      case StatsColumn::Total: return static_cast<double>(r.total);
      case StatsColumn::Mean: return r.mean;
      case StatsColumn::Median: return static_cast<double>(r.median);
      case StatsColumn::Min: return static_cast<double>(r.min);
      case StatsColumn::Max: return static_cast<double>(r.max);
      case StatsColumn::StdDev: return r.stddev;
      case StatsColumn::Share: return r.share;
      case StatsColumn::Self: return static_cast<double>(r.self_total);
    }
    return 0;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const StatsRow& a, const StatsRow& b) {
    if (c != StatsColumn::Name) {
      const double va = value(a), vb = value(b);
      if (va != vb) return ascending ? va < vb : va > vb;
      return a.label < b.label;
    }
    return ascending ? a.label < b.label : a.label > b.label;
  });
}

Histogram histogram(const Stats& st, const StatsRow& r, int bins) {
  Histogram h;
  if (r.calls == 0 || bins <= 0) return h;
  const Ns* d = st.durations.data() + r.dur_begin;
  const auto n = static_cast<size_t>(r.calls);
  const double lo = static_cast<double>(std::max<Ns>(d[0], 1)), hi = static_cast<double>(std::max<Ns>(d[n - 1], 1));
  h.log_scale = hi > 2 * lo;
  h.edges.resize(static_cast<size_t>(bins) + 1);
  for (int i = 0; i <= bins; ++i) {
    const double f = static_cast<double>(i) / bins;
    h.edges[static_cast<size_t>(i)] = h.log_scale ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f;
  }
  h.edges.back() = std::nextafter(hi, INFINITY);  // the maximum falls in the last bin
  h.counts.assign(static_cast<size_t>(bins), 0);
  size_t b = 0;
  for (size_t i = 0; i < n; ++i) {  // durations are sorted: one sweep
    const double v = static_cast<double>(std::max<Ns>(d[i], 1));
    while (b + 1 < static_cast<size_t>(bins) && v >= h.edges[b + 1]) ++b;
    ++h.counts[b];
  }
  return h;
}

}  // namespace qwen3::viewer
