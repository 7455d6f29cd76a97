// Compare mode's table: per-op totals of trace A and trace B side by side with their ratio (compare.h).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "viewer/colors.h"
#include "viewer/panels.h"
#include "viewer/time_format.h"

namespace qwen3::viewer {

namespace {

const CompareColumn kColumns[] = {CompareColumn::Name,   CompareColumn::CallsA, CompareColumn::CallsB, CompareColumn::TotalA,
                                  CompareColumn::TotalB, CompareColumn::Ratio,  CompareColumn::Delta};

void right_aligned(const std::string& s, ImVec4 color = ImGui::GetStyleColorVec4(ImGuiCol_Text)) {
  const float w = ImGui::CalcTextSize(s.c_str()).x;
  const float avail = ImGui::GetContentRegionAvail().x;
  if (avail > w) ImGui::SetCursorPosX(ImGui::GetCursorPosX() + avail - w);
  ImGui::TextColored(color, "%s", s.c_str());
}

std::string ratio_text(double r) {
  if (std::isinf(r)) return "only B";
  if (r == 0) return "only A";
  char buf[32];
  std::snprintf(buf, sizeof buf, r >= 10 ? "%.1fx" : "%.2fx", r);
  return buf;
}

ImVec4 ratio_color(double r) {
  if (std::isinf(r) || r == 0) return ImVec4(0.7f, 0.7f, 0.75f, 1);
  if (r < 0.95) return ImVec4(0.45f, 0.85f, 0.45f, 1);  // B faster
  if (r > 1.05) return ImVec4(1.0f, 0.5f, 0.45f, 1);    // B slower
  return ImVec4(0.85f, 0.85f, 0.85f, 1);
}

std::string signed_duration(Ns d) {
  std::string s = d > 0 ? "+" : d < 0 ? "-" : "";
  s += format_duration(static_cast<double>(d < 0 ? -d : d));
  return s;
}

}  // namespace

void draw_compare_tab(App& app) {
  if (app.documents() < 2) {
    ImGui::TextDisabled("Open a second trace (File > Open second trace, or a second file on the command line)");
    ImGui::TextDisabled("to stack both on the timeline and compare their per-op totals here.");
    return;
  }
  const Document& a = app.document(0);
  const Document& b = app.document(1);
  const float fs = ImGui::GetFontSize();
  bool dirty = app.comparison_dirty;
  if (ImGui::Checkbox("Merge layers", &app.compare_options.merge_layers)) dirty = true;
  ImGui::SameLine();
  int scope = app.compare_options.scope == StatsScope::Basis ? 0 : 1;
  const char* scopes[] = {"Work only", "All slices"};
  ImGui::SetNextItemWidth(fs * 9);
  ImGui::BeginDisabled(app.compare_options.by_op);  // per op counts the work only
  if (ImGui::Combo("##cscope", &scope, scopes, 2)) {
    app.compare_options.scope = scope == 0 ? StatsScope::Basis : StatsScope::All;
    dirty = true;
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (!a.trace.flows.empty() || !b.trace.flows.empty()) {
    if (ImGui::Checkbox("Per op", &app.compare_options.by_op)) dirty = true;
    if (ImGui::IsItemHovered())
      ImGui::SetTooltip("GPU time under the host range that launched it: different kernels of the two backends\n"
                        "for the same op (\"layer * / attention / q_proj\") land on one line");
    ImGui::SameLine();
  }
  static const char* kViews[] = {"By name", "By category"};
  ImGui::SetNextItemWidth(fs * 8);
  ImGui::Combo("##cview", &app.compare_by_category, kViews, 2);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 12);
  if (ImGui::InputTextWithHint("##cfilter", "filter names", app.compare_filter_text, sizeof app.compare_filter_text))
    app.compare_filter.set(app.compare_filter_text);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(fs * 8);
  char align[128];
  std::snprintf(align, sizeof align, "%s", app.align_name.c_str());
  if (ImGui::InputTextWithHint("align on", "(trace start)", align, sizeof align, ImGuiInputTextFlags_EnterReturnsTrue)) {
    app.align_name = align;
    app.realign();
  }
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Both traces are drawn from the first slice with this name (Enter to apply);\nempty: from each trace's start");
  if (dirty) {
    app.comparison = compare_traces(a.trace, b.trace, app.compare_options);
    app.comparison_dirty = false;
  }
  const Comparison& c = app.comparison;
  ImGui::Text("Work  A %s   B %s   B/A", format_duration(static_cast<double>(c.basis_a), 4).c_str(),
              format_duration(static_cast<double>(c.basis_b), 4).c_str());
  ImGui::SameLine();
  const double wr = c.basis_a ? static_cast<double>(c.basis_b) / static_cast<double>(c.basis_a) : 0;
  ImGui::TextColored(ratio_color(wr), "%s", ratio_text(wr).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("   span  A %s   B %s", format_duration(static_cast<double>(c.span_a), 4).c_str(),
                      format_duration(static_cast<double>(c.span_b), 4).c_str());

  std::vector<CompareRow>& rows = app.compare_by_category ? app.comparison.categories : app.comparison.rows;
  const ImGuiTableFlags flags = ImGuiTableFlags_Sortable | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                                ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
  if (!ImGui::BeginTable("compare", 7, flags, ImGui::GetContentRegionAvail())) return;
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn(app.compare_by_category ? "Category" : app.compare_options.by_op ? "Op (launching range)" : "Name",
                          ImGuiTableColumnFlags_WidthStretch, 0, 0);
  ImGui::TableSetupColumn("Calls A", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 1);
  ImGui::TableSetupColumn("Calls B", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 2);
  ImGui::TableSetupColumn("Total A", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_PreferSortDescending, fs * 5, 3);
  ImGui::TableSetupColumn("Total B", ImGuiTableColumnFlags_PreferSortDescending, fs * 5, 4);
  ImGui::TableSetupColumn("B / A", ImGuiTableColumnFlags_PreferSortDescending, fs * 4.5f, 5);
  ImGui::TableSetupColumn("B - A", ImGuiTableColumnFlags_PreferSortDescending, fs * 5, 6);
  ImGui::TableHeadersRow();
  if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs && (specs->SpecsDirty || dirty) && specs->SpecsCount > 0) {
    sort_rows(app.comparison.rows, kColumns[specs->Specs[0].ColumnUserID], specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending);
    sort_rows(app.comparison.categories, kColumns[specs->Specs[0].ColumnUserID], specs->Specs[0].SortDirection == ImGuiSortDirection_Ascending);
    specs->SpecsDirty = false;
  }
  std::vector<int> shown;
  for (int i = 0; i < static_cast<int>(rows.size()); ++i)
    if (app.compare_filter.matches(rows[static_cast<size_t>(i)].label)) shown.push_back(i);
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(shown.size()));
  while (clipper.Step()) {
    for (int k = clipper.DisplayStart; k < clipper.DisplayEnd; ++k) {
      const CompareRow& r = rows[static_cast<size_t>(shown[static_cast<size_t>(k)])];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(k);
      color_chip(category_color(r.category));
      const bool selected = app.highlight.active() && app.highlight.labels.size() == 1 && app.highlight.labels[0] == r.label;
      if (ImGui::Selectable(r.label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns)) {
        if (selected) app.clear_highlight();
        else app.set_highlight({r.label}, app.compare_options.merge_layers, app.compare_by_category != 0);
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      right_aligned(r.calls_a ? format_count(static_cast<uint64_t>(r.calls_a)) : "-");
      ImGui::TableNextColumn();
      right_aligned(r.calls_b ? format_count(static_cast<uint64_t>(r.calls_b)) : "-");
      ImGui::TableNextColumn();
      right_aligned(r.calls_a ? format_duration(static_cast<double>(r.total_a)) : "-");
      ImGui::TableNextColumn();
      right_aligned(r.calls_b ? format_duration(static_cast<double>(r.total_b)) : "-");
      ImGui::TableNextColumn();
      right_aligned(ratio_text(r.ratio), ratio_color(r.ratio));
      ImGui::TableNextColumn();
      right_aligned(signed_duration(r.total_b - r.total_a), ratio_color(r.ratio));
    }
  }
  ImGui::EndTable();
}

}  // namespace qwen3::viewer
