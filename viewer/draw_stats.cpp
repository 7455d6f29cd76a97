// Statistics: the category share bar and legend (header), the per-name and per-category tables, the
// histogram of one row's durations, and the measured interval's per-track busy table.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "viewer/colors.h"
#include "viewer/panels.h"
#include "viewer/time_format.h"

namespace qwen3::viewer {

namespace {

const StatsColumn kNameColumns[] = {StatsColumn::Name,   StatsColumn::Calls, StatsColumn::Total, StatsColumn::Share,
                                    StatsColumn::Mean,   StatsColumn::Median, StatsColumn::Min,  StatsColumn::Max,
                                    StatsColumn::StdDev, StatsColumn::Self};

// A thin horizontal bar filling `fraction` of the cell, with the percentage on it.
void share_cell(double fraction, uint32_t color) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x, h = ImGui::GetTextLineHeight();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + w, p.y + h), rgba(255, 255, 255, 0x10), 2);
  dl->AddRectFilled(p, ImVec2(p.x + w * static_cast<float>(std::clamp(fraction, 0.0, 1.0)), p.y + h), with_alpha(color, 0xb0), 2);
  ImGui::TextUnformatted(format_percent(fraction).c_str());
}

void right_aligned(const std::string& s) {
  const float w = ImGui::CalcTextSize(s.c_str()).x;
  const float avail = ImGui::GetContentRegionAvail().x;
  if (avail > w) ImGui::SetCursorPosX(ImGui::GetCursorPosX() + avail - w);
  ImGui::TextUnformatted(s.c_str());
}

// Filter + options line shared by both statistics tabs; returns the statistics of the chosen trace, recomputed
// (for every open trace) when an option changed or a trace was opened.
Stats& stats_controls(App& app, bool with_filter) {
  bool changed = false;
  if (app.documents() > 1) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    const char* names[] = {"Trace A", "Trace B"};
    ImGui::Combo("##trace", &app.stats_source, names, 2);
    ImGui::SameLine();
  }
  if (with_filter) {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    if (ImGui::InputTextWithHint("##filter", "filter: gemm,attn,-norm", app.stats_filter_text, sizeof app.stats_filter_text))
      app.stats_filter.set(app.stats_filter_text);
    ImGui::SameLine();
  }
  int scope = app.stats_options.scope == StatsScope::Basis ? 0 : 1;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  const char* scopes[] = {"Work only", "All slices"};
  const bool by_op = app.stats_options.by_op && !app.document(static_cast<size_t>(app.stats_source)).trace.flows.empty();
  ImGui::BeginDisabled(by_op);  // per op counts the work only
  if (ImGui::Combo("##scope", &scope, scopes, 2)) {
    app.stats_options.scope = scope == 0 ? StatsScope::Basis : StatsScope::All;
    changed = true;
  }
  ImGui::EndDisabled();
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Work only: %s.\nAll slices: every range too (forward, layers, ...).",
                      app.document(static_cast<size_t>(app.stats_source)).work.basis.c_str());
  ImGui::SameLine();
  if (ImGui::Checkbox("Merge layers", &app.stats_options.merge_layers)) changed = true;
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Count \"layer 3 / attention / q_proj\" and \"layer 12 / ...\" as one op (\"layer * / ...\")");
  if (!app.document(static_cast<size_t>(app.stats_source)).trace.flows.empty()) {
    ImGui::SameLine();
    if (ImGui::Checkbox("Per op", &app.stats_options.by_op)) changed = true;
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("GPU time under the host range that launched it (\"layer 3 / attention / q_proj\"),\n"
                        "found through the launch -> kernel flows, instead of per kernel name");
  }
  if (changed || app.table.size() != app.documents()) {
    app.table.clear();
    for (size_t i = 0; i < app.documents(); ++i) app.table.push_back(compute_stats(app.document(i).trace, app.stats_options));
  }
  app.stats_source = std::clamp(app.stats_source, 0, static_cast<int>(app.documents()) - 1);
  return app.table[static_cast<size_t>(app.stats_source)];
}

}  // namespace

void color_chip(uint32_t color) {
  const float h = ImGui::GetTextLineHeight();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(p.x, p.y + h * 0.15f), ImVec2(p.x + h * 0.7f, p.y + h * 0.85f), color, 2);
  ImGui::Dummy(ImVec2(h * 0.7f, h));
  ImGui::SameLine(0, ImGui::GetStyle().ItemInnerSpacing.x);
}

void draw_share_bar(const App& app, const Document& doc, float width, float height) {
  (void)app;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  ImGui::InvisibleButton("share", ImVec2(width, height));
  const bool hovered = ImGui::IsItemHovered();
  const float mx = ImGui::GetIO().MousePos.x;
  dl->AddRectFilled(p, ImVec2(p.x + width, p.y + height), rgba(255, 255, 255, 0x10), 3);
  float x = p.x;
  const StatsRow* hot = nullptr;
  for (const StatsRow& r : doc.work.by_category) {
    const float w = static_cast<float>(r.share) * width;
    if (w <= 0) continue;
    const uint32_t col = doc.category_colors[r.category];
    dl->AddRectFilled(ImVec2(x, p.y), ImVec2(x + w, p.y + height), col);
    if (w > 3) dl->AddLine(ImVec2(x + w - 1, p.y), ImVec2(x + w - 1, p.y + height), rgba(0, 0, 0, 0x60));
    const std::string label = r.label + " " + format_percent(r.share);
    const ImVec2 ts = ImGui::CalcTextSize(label.c_str());
    if (ts.x + 8 < w) dl->AddText(ImVec2(x + 4, p.y + (height - ts.y) * 0.5f), text_color_on(col), label.c_str());
    else {
      const ImVec2 ls = ImGui::CalcTextSize(r.label.c_str());
      if (ls.x + 8 < w) dl->AddText(ImVec2(x + 4, p.y + (height - ls.y) * 0.5f), text_color_on(col), r.label.c_str());
    }
    if (hovered && mx >= x && mx < x + w) hot = &r;
    x += w;
  }
  if (hot) {
    ImGui::BeginTooltip();
    color_chip(doc.category_colors[hot->category]);
    ImGui::Text("%s: %s of %s", hot->label.c_str(), format_percent(hot->share).c_str(),
                doc.trace.has_gpu ? "GPU time" : "the ops' time");
    ImGui::TextDisabled("%s in %s calls, mean %s", format_duration(static_cast<double>(hot->total), 4).c_str(),
                        format_count(static_cast<uint64_t>(hot->calls)).c_str(), format_duration(hot->mean).c_str());
    ImGui::EndTooltip();
  } else if (hovered) {
    ImGui::SetTooltip("Share of %s by category (%s in all)", doc.trace.has_gpu ? "GPU time" : "the ops' time",
                      format_duration(static_cast<double>(doc.work.basis_total), 4).c_str());
  }
}

void draw_legend(const App& app, const Document& doc) {
  (void)app;
  const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
  bool first = true;
  for (const StatsRow& r : doc.everything.by_category) {
    const float w = ImGui::GetTextLineHeight() * 0.7f + ImGui::GetStyle().ItemInnerSpacing.x +
                    ImGui::CalcTextSize(r.label.c_str()).x;
    if (!first) {
      ImGui::SameLine(0, ImGui::GetFontSize() * 1.1f);
      if (ImGui::GetCursorScreenPos().x + w > right) ImGui::NewLine();
    }
    first = false;
    color_chip(doc.category_colors[r.category]);
    ImGui::TextUnformatted(r.label.c_str());
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("%s: %s slices, %s", r.label.c_str(), format_count(static_cast<uint64_t>(r.calls)).c_str(),
                        format_duration(static_cast<double>(r.total), 4).c_str());
  }
}


// The numeric columns both statistics tables share: calls, total, share (a bar in the row's colour), mean,
// median, min, max.
// The headers of the numeric columns both statistics tables share (user ids 1..7, drawn by
// stats_number_cells); `share_width` is the Share column's width in font sizes.
static void setup_number_columns(float fs, float share_width) {
  ImGui::TableSetupColumn("Calls", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 1);
  ImGui::TableSetupColumn("Total", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_PreferSortDescending, fs * 5, 2);
  ImGui::TableSetupColumn("Share", ImGuiTableColumnFlags_PreferSortDescending, fs * share_width, 3);
  ImGui::TableSetupColumn("Mean", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 4);
  ImGui::TableSetupColumn("Median", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 5);
  ImGui::TableSetupColumn("Min", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 6);
  ImGui::TableSetupColumn("Max", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 7);
}

static void stats_number_cells(const StatsRow& r, uint32_t col) {
  ImGui::TableNextColumn();
  right_aligned(format_count(static_cast<uint64_t>(r.calls)));
  ImGui::TableNextColumn();
  right_aligned(format_duration(static_cast<double>(r.total)));
  ImGui::TableNextColumn();
  if (r.basis_total > 0) share_cell(r.share, col);
  else ImGui::TextDisabled("-");
  ImGui::TableNextColumn();
  right_aligned(format_duration(r.mean));
  ImGui::TableNextColumn();
  right_aligned(format_duration(static_cast<double>(r.median)));
  ImGui::TableNextColumn();
  right_aligned(format_duration(static_cast<double>(r.min)));
  ImGui::TableNextColumn();
  right_aligned(format_duration(static_cast<double>(r.max)));
}

void draw_stats_tab(App& app) {
  Stats& st = stats_controls(app, true);
  const Document& doc = app.document(static_cast<size_t>(app.stats_source));

  std::vector<int> shown;
  for (int i = 0; i < static_cast<int>(st.by_name.size()); ++i)
    if (app.stats_filter.matches(st.by_name[static_cast<size_t>(i)].search)) shown.push_back(i);
  ImGui::SameLine();
  ImGui::TextDisabled("%s of %s names  |  work: %s", format_count(shown.size()).c_str(),
                      format_count(st.by_name.size()).c_str(), format_duration(static_cast<double>(st.basis_total), 4).c_str());

  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Hideable |
                                ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("by_name", 10, flags, ImGui::GetContentRegionAvail())) return;
  const float fs = ImGui::GetFontSize();
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Name", ImGuiTableColumnFlags_WidthStretch, 0, 0);
  setup_number_columns(fs, 5.5f);
  ImGui::TableSetupColumn(app.glyphs.sigma, ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 8);
  ImGui::TableSetupColumn("Self", ImGuiTableColumnFlags_PreferSortDescending | ImGuiTableColumnFlags_DefaultHide, fs * 4.5f, 9);
  ImGui::TableHeadersRow();
  if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty && specs->SpecsCount > 0) {
    sort_rows(st.by_name, kNameColumns[specs->Specs[0].ColumnUserID],
              specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending);
    specs->SpecsDirty = false;
    shown.clear();
    for (int i = 0; i < static_cast<int>(st.by_name.size()); ++i)
      if (app.stats_filter.matches(st.by_name[static_cast<size_t>(i)].search)) shown.push_back(i);
  }
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(shown.size()));
  while (clipper.Step()) {
    for (int k = clipper.DisplayStart; k < clipper.DisplayEnd; ++k) {
      const StatsRow& r = st.by_name[static_cast<size_t>(shown[static_cast<size_t>(k)])];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(k);
      const bool selected = app.highlight.active() && app.highlight.labels.size() == 1 &&
                            app.highlight.labels[0] == r.label && !app.highlight.by_category;
      const uint32_t col = doc.category_colors[r.category];
      color_chip(col);
      if (ImGui::Selectable(r.label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
        if (selected) {
          app.clear_highlight();
        } else {
          app.set_highlight({r.label}, app.stats_options.merge_layers, false);
          app.stats_selected_label = r.label;
          app.right_shows_histogram = true;
        }
      }
      if (ImGui::IsItemHovered() && ImGui::GetIO().KeyCtrl == false)
        ImGui::SetTooltip("%s\n%s  |  click: highlight its %s slices on the timeline", r.label.c_str(),
                          std::string(doc.trace.str(r.category)).c_str(), format_count(static_cast<uint64_t>(r.calls)).c_str());
      ImGui::PopID();
      stats_number_cells(r, col);
      ImGui::TableNextColumn();
      right_aligned(format_duration(r.stddev));
      ImGui::TableNextColumn();
      right_aligned(format_duration(static_cast<double>(r.self_total)));
    }
  }
  ImGui::EndTable();
}

void draw_categories_tab(App& app) {
  Stats& st = stats_controls(app, false);
  const Document& doc = app.document(static_cast<size_t>(app.stats_source));
  const float fs = ImGui::GetFontSize();
  draw_share_bar(app, doc, ImGui::GetContentRegionAvail().x, fs + 8);
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("by_category", 8, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Category", ImGuiTableColumnFlags_WidthStretch, 0, 0);
  setup_number_columns(fs, 6.0f);
  ImGui::TableHeadersRow();
  if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && specs->SpecsDirty && specs->SpecsCount > 0) {
    sort_rows(st.by_category, kNameColumns[specs->Specs[0].ColumnUserID],
              specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending);
    specs->SpecsDirty = false;
  }
  for (size_t k = 0; k < st.by_category.size(); ++k) {
    const StatsRow& r = st.by_category[k];
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(k));
    const uint32_t col = doc.category_colors[r.category];
    const bool selected = app.highlight.active() && app.highlight.by_category && app.highlight.labels.size() == 1 &&
                          app.highlight.labels[0] == doc.trace.str(r.category);
    color_chip(col);
    if (ImGui::Selectable(r.label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
      if (selected) app.clear_highlight();
      else app.set_highlight({std::string(doc.trace.str(r.category))}, false, true);
    }
    ImGui::PopID();
    stats_number_cells(r, col);
  }
  ImGui::EndTable();
}

void draw_histogram_panel(App& app) {
  if (app.table.empty()) return;
  const Stats& st = app.table[static_cast<size_t>(std::clamp(app.stats_source, 0, static_cast<int>(app.table.size()) - 1))];
  const Document& doc = app.document(static_cast<size_t>(app.stats_source));
  const StatsRow* row = nullptr;
  for (const StatsRow& r : st.by_name)
    if (r.label == app.stats_selected_label) row = &r;
  if (!row) {
    ImGui::TextDisabled("Click a statistics row to see its histogram.");
    return;
  }
  color_chip(doc.category_colors[row->category]);
  ImGui::TextWrapped("%s", row->label.c_str());
  ImGui::TextDisabled("%s  |  %s calls  |  total %s  |  %s of the work", std::string(doc.trace.str(row->category)).c_str(),
                      format_count(static_cast<uint64_t>(row->calls)).c_str(),
                      format_duration(static_cast<double>(row->total), 4).c_str(), format_percent(row->share).c_str());
  if (ImGui::BeginTable("numbers", 4, ImGuiTableFlags_SizingStretchSame)) {
    auto cell = [](const char* k, const std::string& v) {
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%s", k);
      ImGui::SameLine();
      ImGui::TextUnformatted(v.c_str());
    };
    cell("mean", format_duration(row->mean, 4));
    cell("median", format_duration(static_cast<double>(row->median), 4));
    cell("min", format_duration(static_cast<double>(row->min), 4));
    cell("max", format_duration(static_cast<double>(row->max), 4));
    cell(app.glyphs.sigma, format_duration(row->stddev, 4));
    cell("self", format_duration(static_cast<double>(row->self_total), 4));
    ImGui::EndTable();
  }
  // Jump to an instance: the slowest, the fastest or the first (Tracy's zone list, in three buttons).
  {
    const Trace& t = doc.trace;
    std::vector<uint8_t> is_row(t.strings.size(), 0);
    for (uint32_t id : row->names) is_row[id] = 1;
    const bool by_op = app.stats_options.by_op && !t.flows.empty();
    const std::vector<uint32_t> ops = by_op ? op_names(t) : std::vector<uint32_t>{};
    auto jump = [&](auto better) {
      uint32_t best = kNone;
      for (uint32_t i = 0; i < t.slices.size(); ++i)
        if (is_row[by_op ? ops[i] : t.slices[i].name] &&
            ((app.stats_options.scope == StatsScope::All && !by_op) || t.is_basis(t.slices[i])) &&
            (best == kNone || better(t.slices[i], t.slices[best])))
          best = i;
      if (best != kNone) app.select(app.stats_source, best, true);
    };
    if (ImGui::SmallButton("Go to slowest")) jump([](const Slice& a, const Slice& b) { return a.dur > b.dur; });
    ImGui::SameLine();
    if (ImGui::SmallButton("Go to fastest")) jump([](const Slice& a, const Slice& b) { return a.dur < b.dur; });
    ImGui::SameLine();
    if (ImGui::SmallButton("Go to first")) jump([](const Slice& a, const Slice& b) { return a.start < b.start; });
  }
  // The histogram: bars over log-spaced bins, with the mean (orange) and median (white) marked.
  const Histogram h = histogram(st, *row, 48);
  if (h.counts.empty()) return;
  const float fs = ImGui::GetFontSize();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float w = std::max(avail.x, 50.0f), hgt = std::max(avail.y - fs * 1.6f, 40.0f);
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + w, p.y + hgt), rgba(255, 255, 255, 0x08), 3);
  const uint32_t peak = *std::max_element(h.counts.begin(), h.counts.end());
  const float bw = w / static_cast<float>(h.counts.size());
  const uint32_t col = doc.category_colors[row->category];
  for (size_t i = 0; i < h.counts.size(); ++i) {
    if (!h.counts[i]) continue;
    const float bh = std::max(2.0f, (hgt - 4) * static_cast<float>(h.counts[i]) / static_cast<float>(peak));
    dl->AddRectFilled(ImVec2(p.x + bw * static_cast<float>(i) + 1, p.y + hgt - bh), ImVec2(p.x + bw * static_cast<float>(i + 1) - 1, p.y + hgt), col);
  }
  const double lo = h.edges.front(), hi = h.edges.back();
  auto x_of = [&](double v) {
    const double f = h.log_scale ? std::log(std::max(v, lo) / lo) / std::log(hi / lo) : (v - lo) / std::max(hi - lo, 1e-9);
    return p.x + static_cast<float>(std::clamp(f, 0.0, 1.0)) * w;
  };
  dl->AddLine(ImVec2(x_of(row->mean), p.y), ImVec2(x_of(row->mean), p.y + hgt), rgba(0xff, 0xa5, 0x2c), 2);
  dl->AddLine(ImVec2(x_of(static_cast<double>(row->median)), p.y), ImVec2(x_of(static_cast<double>(row->median)), p.y + hgt), rgba(255, 255, 255), 2);
  ImGui::InvisibleButton("hist", ImVec2(w, hgt));
  if (ImGui::IsItemHovered()) {
    const float mx = ImGui::GetIO().MousePos.x;
    const size_t i = std::min(h.counts.size() - 1, static_cast<size_t>(std::max(0.0f, (mx - p.x) / bw)));
    ImGui::SetTooltip("%s .. %s: %u calls\norange: mean, white: median", format_duration(h.edges[i]).c_str(),
                      format_duration(h.edges[i + 1]).c_str(), h.counts[i]);
  }
  ImGui::TextDisabled("%s", format_duration(lo).c_str());
  const std::string right = format_duration(hi) + (h.log_scale ? "  (log scale)" : "");
  ImGui::SameLine(std::max(0.0f, w - ImGui::CalcTextSize(right.c_str()).x));
  ImGui::TextDisabled("%s", right.c_str());
}

void draw_interval_tab(App& app) {
  if (!app.interval.active) {
    ImGui::TextDisabled("Drag across the time ruler (or right-drag on the tracks) to measure an interval.");
    return;
  }
  const double a = std::min(app.interval.a, app.interval.b), b = std::max(app.interval.a, app.interval.b);
  ImGui::Text("Interval %s", format_duration(b - a, 5).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("from %s to %s", format_duration(a, 5).c_str(), format_duration(b, 5).c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("Zoom to it")) app.view.fit(a, b, 0.02);
  ImGui::SameLine();
  if (ImGui::SmallButton("Clear")) app.interval.active = false;
  const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                                ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("busy", 4, flags, ImGui::GetContentRegionAvail())) return;
  const float fs = ImGui::GetFontSize();
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Track", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("Busy", 0, fs * 5);
  ImGui::TableSetupColumn("Busy share", 0, fs * 9);
  ImGui::TableSetupColumn("Slices", 0, fs * 5);
  ImGui::TableHeadersRow();
  for (size_t d = 0; d < app.interval_busy.size() && d < app.documents(); ++d) {
    const Trace& t = app.document(d).trace;
    for (const TrackBusy& r : app.interval_busy[d]) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      const std::string label = (app.documents() > 1 ? std::string(d == 0 ? "A: " : "B: ") : std::string()) + t.track_label(r.track);
      ImGui::TextUnformatted(label.c_str());
      ImGui::TableNextColumn();
      right_aligned(format_duration(static_cast<double>(r.busy)));
      ImGui::TableNextColumn();
      share_cell(r.fraction, t.tracks[r.track].gpu ? rgba(0x4e, 0x79, 0xa7) : rgba(0x8c, 0x96, 0xa8));
      ImGui::TableNextColumn();
      right_aligned(format_count(r.slices));
    }
  }
  ImGui::EndTable();
}

}  // namespace qwen3::viewer
