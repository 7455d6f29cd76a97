// What one slice is: the hover tooltip (name, category, start, duration, arguments) and the details panel of
// the selected slice (exact times, self time, parent, flows to jump along, the GPU work a range launched,
// every argument). Also the Messages tab (what the loader dropped or ignored).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "viewer/colors.h"
#include "viewer/interval.h"
#include "viewer/row_boxes.h"
#include "viewer/panels.h"
#include "viewer/time_format.h"

namespace qwen3::viewer {

namespace {

void args_table(const Trace& t, uint32_t begin, uint16_t count, size_t max_rows, float value_wrap) {
  if (count == 0) return;
  if (!ImGui::BeginTable("args", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) return;
  ImGui::TableSetupColumn("key", ImGuiTableColumnFlags_WidthFixed);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
  size_t shown = 0;
  for (const Arg& a : t.args_of(begin, count)) {
    if (shown++ == max_rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextDisabled("(%zu more)", static_cast<size_t>(count) - max_rows);
      break;
    }
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    const std::string_view k = t.str(a.key);
    ImGui::TextDisabled("%.*s", static_cast<int>(k.size()), k.data());
    ImGui::TableNextColumn();
    const std::string_view v = t.arg_value(a);
    if (value_wrap > 0) ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + value_wrap);
    ImGui::TextUnformatted(v.data(), v.data() + std::min<size_t>(v.size(), 2000));
    if (value_wrap > 0) ImGui::PopTextWrapPos();
  }
  ImGui::EndTable();
}

// Relative start of a slice on the timeline's axis.
double rel(const App& app, int source, Ns t) { return static_cast<double>(t) - app.origins[static_cast<size_t>(source)]; }

}  // namespace

void section(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImVec4(0.62f, 0.72f, 0.88f, 1), "%s", title);
  ImGui::Separator();
}

void draw_slice_tooltip(const App& app, int source, uint32_t slice) {
  const Document& doc = app.document(static_cast<size_t>(source));
  const Trace& t = doc.trace;
  const Slice& s = t.slices[slice];
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32);
  const std::string_view name = t.name(s);
  ImGui::TextUnformatted(name.data(), name.data() + name.size());
  ImGui::PopTextWrapPos();
  color_chip(doc.category_colors[s.cat]);
  const std::string_view cat = t.category(s);
  ImGui::TextDisabled("%.*s", static_cast<int>(cat.size()), cat.empty() ? "(no category)" : cat.data());
  ImGui::Separator();
  ImGui::Text("Duration  %s", format_duration_exact(s.dur).c_str());
  if (s.flags & kHasChildren) ImGui::Text("Self      %s", format_duration_exact(s.self).c_str());
  ImGui::Text("Start     %s", format_duration_exact(std::llround(rel(app, source, s.start))).c_str());
  if (s.flags & kUnfinished) ImGui::TextColored(ImVec4(1, 0.6f, 0.3f, 1), "never ended: drawn to the end of the trace");
  if (s.args_count > 0) {
    ImGui::Separator();
    args_table(t, s.args_begin, s.args_count, 16, ImGui::GetFontSize() * 22);
  }
  const std::vector<uint32_t> flows = t.flows_of(slice);
  if (!flows.empty()) ImGui::TextDisabled("%zu flow(s): click to select and see the arrows", flows.size());
  ImGui::EndTooltip();
}

void draw_merged_tooltip(const App& app, const Hit& h) {
  const Document& doc = app.document(static_cast<size_t>(h.source));
  const Trace& t = doc.trace;
  const Slice& first = t.slices[h.slice];
  const Slice& last = t.slices[h.slice + h.count - 1];
  ImGui::BeginTooltip();
  ImGui::Text("%s slices, each narrower than %.0f pixels here", format_count(h.count).c_str(), kMergePx);
  ImGui::TextDisabled("from %s to %s (%s)", format_duration_exact(std::llround(rel(app, h.source, first.start))).c_str(),
                      format_duration_exact(std::llround(rel(app, h.source, last.end()))).c_str(),
                      format_duration(static_cast<double>(last.end() - first.start)).c_str());
  // The longest among a sample says what dominates the run.
  const size_t step = std::max<size_t>(h.count / 64, 1);
  uint32_t longest = h.slice;
  for (uint32_t k = h.slice; k < h.slice + h.count; k += static_cast<uint32_t>(step))
    if (t.slices[k].dur > t.slices[longest].dur) longest = k;
  const Slice& l = t.slices[longest];
  color_chip(doc.category_colors[l.cat]);
  const std::string_view n = t.name(l);
  ImGui::Text("e.g. %.*s  %s", static_cast<int>(std::min<size_t>(n.size(), 80)), n.data(), format_duration(static_cast<double>(l.dur)).c_str());
  ImGui::TextDisabled("Click (or zoom in) to see them one by one");
  ImGui::EndTooltip();
}

void draw_instant_tooltip(const App& app, const Hit& h) {
  const Document& doc = app.document(static_cast<size_t>(h.source));
  const Trace& t = doc.trace;
  const Instant& in = t.tracks[h.track].instants[h.instant];
  ImGui::BeginTooltip();
  const std::string_view name = t.str(in.name);
  ImGui::Text("%.*s", static_cast<int>(name.size()), name.data());
  color_chip(doc.category_colors[in.cat]);
  ImGui::TextDisabled("instant (%s)  at %s", in.scope == 'g' ? "global" : in.scope == 'p' ? "process" : "thread",
                      format_duration_exact(std::llround(rel(app, h.source, in.ts))).c_str());
  args_table(t, in.args_begin, in.args_count, 12, ImGui::GetFontSize() * 22);
  ImGui::EndTooltip();
}

void draw_details_panel(App& app) {
  const Selection sel = app.selection();
  if (!sel.valid() || static_cast<size_t>(sel.source) >= app.documents()) {
    ImGui::TextDisabled("Click a slice to see its details here.");
    ImGui::Spacing();
    ImGui::TextDisabled("Hover for a tooltip; F fits the selection, Home fits all.");
    return;
  }
  const Document& doc = app.document(static_cast<size_t>(sel.source));
  const Trace& t = doc.trace;
  const Slice& s = t.slices[sel.slice];
  color_chip(doc.category_colors[s.cat]);
  const std::string_view name = t.name(s);
  ImGui::PushTextWrapPos(0);
  ImGui::TextUnformatted(name.data(), name.data() + name.size());
  ImGui::PopTextWrapPos();
  const std::string_view cat = t.category(s);
  ImGui::TextDisabled("%.*s  |  %s", static_cast<int>(cat.size()), cat.data(), t.track_label(s.track).c_str());
  if (ImGui::SmallButton("Zoom to it (F)")) app.fit_selection();
  ImGui::SameLine();
  if (ImGui::SmallButton("Highlight all like it")) app.set_highlight({std::string(t.label(s))}, false, false);
  ImGui::SameLine();
  if (ImGui::SmallButton("Measure it (M)")) app.set_interval(rel(app, sel.source, s.start), rel(app, sel.source, s.end()), true);

  if (ImGui::BeginTable("times", 2, ImGuiTableFlags_SizingFixedFit)) {
    auto row = [](const char* k, const std::string& v) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextDisabled("%s", k);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
    };
    row("Duration", format_duration_exact(s.dur));
    if (s.flags & kHasChildren)
      row("Self", format_duration_exact(s.self) + "  (" + format_percent(s.dur ? static_cast<double>(s.self) / static_cast<double>(s.dur) : 0) + ")");
    row("Start", format_duration_exact(std::llround(rel(app, sel.source, s.start))) +
                     (app.documents() > 1 ? "  from the aligned start" : "  from the trace start"));
    row("End", format_duration_exact(std::llround(rel(app, sel.source, s.end()))));
    row("Depth", std::to_string(s.depth));
    if (s.flags & kUnfinished) row("Note", "\"B\" without \"E\": drawn to the end of the trace");
    ImGui::EndTable();
  }
  // Parent: one click up the nesting.
  const uint32_t parent = t.parent_of(sel.slice);
  if (parent != kNone) {
    const std::string label = std::string(app.glyphs.up) + " " + std::string(t.name(t.slices[parent]));
    if (ImGui::Selectable(label.c_str())) app.select(sel.source, parent, true);
  }
  // Flows: each other end, clickable.
  const std::vector<uint32_t> flows = t.flows_of(sel.slice);
  if (!flows.empty()) {
    section("Flows");
    for (uint32_t fi : flows) {
      const Flow& f = t.flows[fi];
      const bool outgoing = f.from == sel.slice;
      const uint32_t other = outgoing ? f.to : f.from;
      const Slice& o = t.slices[other];
      const Ns delay = outgoing ? f.to_ts - f.from_ts : f.to_ts - f.from_ts;
      const std::string label = std::string(outgoing ? app.glyphs.arrow : "<-") + " " + std::string(t.name(o)) + "  (" +
                                t.track_label(o.track) + ", " + (outgoing ? "starts " : "launched ") +
                                format_duration(static_cast<double>(delay)) + (outgoing ? " later)" : " earlier)");
      ImGui::PushID(static_cast<int>(fi));
      if (ImGui::Selectable(label.c_str())) app.select(sel.source, other, true);
      ImGui::PopID();
    }
  }
  // For a range: the GPU work launched from inside it (flows of its descendants).
  if ((s.flags & kHasChildren) && !t.flows.empty()) {
    const Track& tr = t.tracks[s.track];
    uint64_t kernels = 0;
    Ns gpu_time = 0, first = 0, last = 0;
    for (size_t d = s.depth + 1u; d < tr.rows.size(); ++d) {
      const auto [lo, hi] = overlapping(t, tr.rows[d], s.start, s.end());
      for (uint32_t k = lo; k < hi; ++k)
        for (uint32_t fi : t.flows_of(k)) {
          const Flow& f = t.flows[fi];
          if (f.from != k) continue;
          const Slice& g = t.slices[f.to];
          if (kernels == 0 || g.start < first) first = g.start;
          if (kernels == 0 || g.end() > last) last = g.end();
          ++kernels;
          gpu_time += g.dur;
        }
    }
    if (kernels > 0) {
      section("Work it launched");
      ImGui::Text("%s, %s of device time", kernels == 1 ? "1 kernel or copy" : (format_count(kernels) + " kernels and copies").c_str(),
                  format_duration(static_cast<double>(gpu_time), 4).c_str());
      ImGui::TextDisabled("on the device from %s to %s (%s, %s busy)",
                          format_duration_exact(std::llround(rel(app, sel.source, first))).c_str(),
                          format_duration_exact(std::llround(rel(app, sel.source, last))).c_str(),
                          format_duration(static_cast<double>(last - first)).c_str(),
                          format_percent(last > first ? static_cast<double>(gpu_time) / static_cast<double>(last - first) : 0).c_str());
    }
  }
  if (s.args_count > 0) {
    section("Arguments");
    args_table(t, s.args_begin, s.args_count, 200, 0);
  }
}

void draw_messages_tab(App& app) {
  for (size_t d = 0; d < app.documents(); ++d) {
    const Document& doc = app.document(d);
    const Trace& t = doc.trace;
    if (app.documents() > 1) section(doc.title.c_str());
    ImGui::Text("%s: %s events read, %s slices, %s flows, %s dropped as invalid", doc.title.c_str(),
                format_count(t.file_events).c_str(), format_count(t.slices.size()).c_str(),
                format_count(t.flows.size()).c_str(), format_count(t.problems).c_str());
    for (const std::string& m : t.messages) {
      ImGui::PushTextWrapPos(0);
      ImGui::BulletText("%s", m.c_str());
      ImGui::PopTextWrapPos();
    }
    if (t.problems > t.messages.size()) ImGui::TextDisabled("(only the first messages are kept)");
    if (!t.metadata.empty()) {
      section("Trace metadata (otherData)");
      if (ImGui::BeginTable("meta", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
        for (const auto& [k, v] : t.metadata) {
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextDisabled("%s", k.c_str());
          ImGui::TableNextColumn();
          ImGui::TextWrapped("%s", v.c_str());
        }
        ImGui::EndTable();
      }
    }
  }
}

}  // namespace qwen3::viewer
