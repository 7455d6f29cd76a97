// The timeline: a time ruler on top, then one band per process and track, with a label gutter on the left.
//
// Per frame, only what is visible is touched: the layout gives the items in the visible vertical band
// (binary search), each row asks row_boxes.h for its boxes in the visible time range (binary search plus
// sub-pixel merging), so the cost follows the pixels, not the number of slices.
//
// Mouse: wheel zooms around the cursor (Shift+wheel scrolls), left-drag pans (both directions), a click
// selects (a merged box zooms into it, a process header folds), a double-click zooms to a slice, dragging on
// the ruler (or right-dragging on the tracks) measures an interval. Keys: W/S zoom, A/D pan (and the arrows).
#include <imgui.h>
#include <imgui_internal.h>  // ImGui::RenderTextEllipsis

#include <algorithm>
#include <cmath>
#include <string>

#include "viewer/colors.h"
#include "viewer/panels.h"
#include "viewer/row_boxes.h"
#include "viewer/time_format.h"

namespace qwen3::viewer {

namespace {

constexpr uint32_t kGutterBg = rgba(0x1c, 0x1e, 0x23);
constexpr uint32_t kProcessBg = rgba(0x2a, 0x2e, 0x37);
constexpr uint32_t kTrackBgA = rgba(0x16, 0x17, 0x1b);
constexpr uint32_t kTrackBgB = rgba(0x1a, 0x1b, 0x20);
constexpr uint32_t kTraceHeaderBg = rgba(0x33, 0x3d, 0x55);
constexpr uint32_t kGrid = rgba(0xff, 0xff, 0xff, 0x12);
constexpr uint32_t kRulerBg = rgba(0x22, 0x24, 0x2a);
constexpr uint32_t kDimText = rgba(0x9a, 0xa0, 0xab);
constexpr uint32_t kText = rgba(0xe6, 0xe8, 0xec);
constexpr uint32_t kSelect = rgba(0xff, 0xe0, 0x40);
constexpr uint32_t kFlow = rgba(0xff, 0xa5, 0x2c, 0xe0);
constexpr uint32_t kInterval = rgba(0x5a, 0x9c, 0xff, 0x30);
constexpr uint32_t kIntervalEdge = rgba(0x7a, 0xb4, 0xff, 0xc0);

ImVec2 v2(double x, double y) { return ImVec2(static_cast<float>(x), static_cast<float>(y)); }

// A label inside [x0, x1] x [y0, y1], shortened with an ellipsis when needed; "a / b / op" falls back to
// "op" before being cut. Returns false when nothing readable fits.
bool draw_box_label(ImDrawList* dl, float x0, float x1, float y0, float y1, std::string_view name, uint32_t color,
                    const std::string* suffix) {
  const float pad = 4;
  const float avail = x1 - x0 - 2 * pad;
  ImFont* font = ImGui::GetFont();
  const float fs = ImGui::GetFontSize();
  if (avail < fs * 1.2f || name.empty()) return false;
  const float ty = y0 + (y1 - y0 - fs) * 0.5f;
  const char* b = name.data();
  const char* e = name.data() + name.size();
  float w = font->CalcTextSizeA(fs, FLT_MAX, 0, b, e).x;
  if (w > avail) {
    // The last path component of "layer 3 / attention / q_proj" says the most in little space.
    const size_t slash = name.rfind(" / ");
    if (slash != std::string_view::npos) {
      b = name.data() + slash + 3;
      w = font->CalcTextSizeA(fs, FLT_MAX, 0, b, e).x;
    }
  }
  if (w <= avail) {
    dl->AddText(font, fs, ImVec2(x0 + pad, ty), color, b, e);
    if (suffix) {
      const float sw = font->CalcTextSizeA(fs, FLT_MAX, 0, suffix->c_str()).x;
      if (w + sw + 3 * pad <= avail)
        dl->AddText(font, fs, ImVec2(x1 - pad - sw, ty), with_alpha(color, 0xb0), suffix->c_str());
    }
    return true;
  }
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(color));  // the ellipsis helper's colour
  ImGui::RenderTextEllipsis(dl, ImVec2(x0 + pad, ty), ImVec2(x1 - pad, y1), x1 - pad, x1 - pad, b, e, nullptr);
  ImGui::PopStyleColor();
  return true;
}

void draw_arrow(ImDrawList* dl, ImVec2 a, ImVec2 b, uint32_t color, float thickness) {
  const float dy = b.y - a.y;
  const ImVec2 c1(a.x, a.y + dy * 0.5f), c2(b.x, b.y - dy * 0.5f);
  dl->AddBezierCubic(a, c1, c2, b, color, thickness, 24);
  // Arrowhead along the curve's final direction (c2 -> b).
  float dx = b.x - c2.x, ddy = b.y - c2.y;
  const float len = std::sqrt(dx * dx + ddy * ddy);
  if (len < 1e-3f) {
    dx = 0;
    ddy = 1;
  } else {
    dx /= len;
    ddy /= len;
  }
  const float s = 7;
  const ImVec2 left(b.x - dx * s - ddy * s * 0.55f, b.y - ddy * s + dx * s * 0.55f);
  const ImVec2 right(b.x - dx * s + ddy * s * 0.55f, b.y - ddy * s - dx * s * 0.55f);
  dl->AddTriangleFilled(b, left, right, color);
}

}  // namespace

void draw_timeline(App& app, ImVec2 size) {
  ImGuiIO& io = ImGui::GetIO();
  const float fs = ImGui::GetFontSize();
  const std::vector<TimelineSource> sources = app.sources();
  if (sources.empty()) return;
  const LayoutMetrics& m = app.metrics;

  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_ItemSpacing, ImVec2(0, 0));
  ImGui::BeginChild("timeline", size, false, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  const float scrollbar = ImGui::GetStyle().ScrollbarSize;
  const ImVec2 top_left = ImGui::GetCursorScreenPos();
  const float full_w = ImGui::GetContentRegionAvail().x;
  const float gutter = std::clamp(fs * 13.0f, 150.0f, 260.0f);
  const float area_x = top_left.x + gutter;                   // left edge of the time area
  const float area_w = std::max(full_w - gutter - scrollbar, 10.0f);
  const float ruler_h = std::round(fs + 14);
  app.view.width_px = area_w;
  app.view.clamp();
  if (!app.width_known) {
    app.width_known = true;
    if (app.pending_fit == 1) app.fit_all();
    if (app.pending_fit == 2) app.fit_selection();
    app.pending_fit = 0;
  }
  TimeView& view = app.view;
  ImDrawList* rdl = ImGui::GetWindowDrawList();
  const bool popup_open = ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId);

  // ---- ruler -------------------------------------------------------------------------------------------
  const Ruler ruler = make_ruler(view, std::max(110.0f, fs * 7.5f));
  rdl->AddRectFilled(top_left, ImVec2(top_left.x + full_w, top_left.y + ruler_h), kRulerBg);
  {
    const std::string span = "view " + format_duration(view.t1() - view.t0);
    rdl->AddText(ImVec2(top_left.x + 8, top_left.y + (ruler_h - fs) * 0.5f), kDimText, span.c_str());
  }
  rdl->PushClipRect(ImVec2(area_x, top_left.y), ImVec2(area_x + area_w, top_left.y + ruler_h), true);
  for (const RulerTick& t : ruler.ticks) {
    const float x = area_x + static_cast<float>(view.x_of(t.t));
    const float h = t.major ? ruler_h * 0.45f : ruler_h * 0.2f;
    rdl->AddLine(ImVec2(x, top_left.y + ruler_h - h), ImVec2(x, top_left.y + ruler_h), t.major ? kDimText : kGrid, 1);
    if (t.major) rdl->AddText(ImVec2(x + 4, top_left.y + 2), kText, t.label.c_str());
  }
  rdl->PopClipRect();
  ImGui::SetCursorScreenPos(ImVec2(area_x, top_left.y));
  ImGui::InvisibleButton("ruler", ImVec2(area_w, ruler_h));
  const bool ruler_hovered = ImGui::IsItemHovered();
  if (ImGui::IsItemActivated()) {
    app.measuring = true;
    app.measure_anchor = view.t_of(io.MousePos.x - area_x);
  }
  if (ImGui::IsItemActive() && app.measuring && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f))
    app.set_interval(app.measure_anchor, view.t_of(io.MousePos.x - area_x));
  if (ImGui::IsItemDeactivated()) {
    if (io.MouseDragMaxDistanceSqr[0] < 9.0f) app.interval.active = false;  // a click clears the measure
    else app.set_interval(app.interval.a, app.interval.b, true);  // final: show the Interval tab
    app.measuring = false;
  }
  if (ruler_hovered && !app.measuring) ImGui::SetTooltip("Drag to measure an interval; click to clear it");

  // ---- tracks (a scrolling child: the gutter and rows scroll together, the ruler stays) ---------------
  ImGui::SetCursorScreenPos(ImVec2(top_left.x, top_left.y + ruler_h));
  const float tracks_h = std::max(size.y - ruler_h, 10.0f);
  ImGui::BeginChild("tracks", ImVec2(full_w, tracks_h), false,
                    ImGuiWindowFlags_AlwaysVerticalScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
  if (app.pending_scroll_y >= 0) {
    ImGui::SetScrollY(std::max(0.0f, app.pending_scroll_y - tracks_h * 0.4f));
    app.pending_scroll_y = -1;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float scroll_y = ImGui::GetScrollY();
  const ImVec2 p0 = ImGui::GetCursorScreenPos();  // content origin: y already shifted by the scroll
  const float win_top = p0.y + scroll_y, win_bottom = win_top + tracks_h;
  const float content_h = std::max(app.layout.height + m.row_h, tracks_h);
  ImGui::InvisibleButton("canvas", ImVec2(gutter + area_w, content_h),
                         ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  const bool canvas_hovered = ImGui::IsItemHovered();
  app.screen_area_x = area_x;
  app.screen_ruler_y = top_left.y;
  app.screen_ruler_h = ruler_h;
  app.screen_tracks_y = p0.y;
  const bool canvas_active = ImGui::IsItemActive();
  const double mx = io.MousePos.x - area_x;               // time-area x of the mouse
  const double my = io.MousePos.y - p0.y;                 // content y of the mouse
  const bool over_area = canvas_hovered && mx >= 0 && mx < area_w;

  // Hover: what is under the mouse, with the same boxes as drawn.
  app.hover = Hit{};
  if (over_area && !ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f))
    app.hover = hit_test(sources, app.layout, m, view, mx, my);
  else if (canvas_hovered && mx < 0) {
    const int i = app.layout.find(static_cast<float>(my));
    if (i >= 0 && app.layout.items[static_cast<size_t>(i)].kind == ItemKind::Process) {
      app.hover.kind = Hit::Process;
      app.hover.source = app.layout.items[static_cast<size_t>(i)].source;
      app.hover.process = app.layout.items[static_cast<size_t>(i)].index;
    }
  }

  // ---- input: wheel, drag, click, keys ----------------------------------------------------------------
  if ((canvas_hovered || ruler_hovered) && !popup_open) {
    const double anchor = std::clamp(static_cast<double>(io.MousePos.x - area_x), 0.0, static_cast<double>(area_w));
    if (io.MouseWheel != 0) {
      if (io.KeyShift) ImGui::SetScrollY(std::clamp(scroll_y - io.MouseWheel * m.row_h * 3, 0.0f, ImGui::GetScrollMaxY()));
      else view.zoom_at(anchor, std::pow(1.25, static_cast<double>(io.MouseWheel)));
    }
    if (io.MouseWheelH != 0) view.pan_px(io.MouseWheelH * area_w * 0.1);
  }
  if (canvas_active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f)) {
    view.pan_px(io.MouseDelta.x);
    ImGui::SetScrollY(std::clamp(scroll_y - io.MouseDelta.y, 0.0f, ImGui::GetScrollMaxY()));
  }
  // Right-drag on the tracks measures, like the ruler.
  if (canvas_hovered && ImGui::IsMouseClicked(ImGuiMouseButton_Right)) {
    app.measuring = true;
    app.measure_anchor = view.t_of(mx);
  }
  if (app.measuring && ImGui::IsMouseDown(ImGuiMouseButton_Right) && ImGui::IsMouseDragging(ImGuiMouseButton_Right, 2.0f))
    app.set_interval(app.measure_anchor, view.t_of(mx));
  if (app.measuring && ImGui::IsMouseReleased(ImGuiMouseButton_Right)) {
    if (app.interval.active) app.set_interval(app.interval.a, app.interval.b, true);
    app.measuring = false;
  }
  const bool clicked = canvas_hovered && ImGui::IsMouseReleased(ImGuiMouseButton_Left) &&
                       io.MouseDragMaxDistanceSqr[0] < 9.0f;
  if (clicked) {
    const Hit& h = app.hover;
    switch (h.kind) {
      case Hit::Slice: app.select(h.source, h.slice, false); break;
      case Hit::Merged: {
        // Zoom into the merged run (Tracy does the same): its slices become visible one by one.
        const Trace& t = *sources[static_cast<size_t>(h.source)].trace;
        const Slice& first = t.slices[h.slice];
        const Slice& last = t.slices[h.slice + h.count - 1];
        const double o = sources[static_cast<size_t>(h.source)].origin;
        view.fit(static_cast<double>(first.start) - o, static_cast<double>(last.end()) - o, 0.05);
        break;
      }
      case Hit::Process:
        app.folds.toggle(static_cast<size_t>(h.source), h.process,
                         sources[static_cast<size_t>(h.source)].trace->processes.size());
        break;
      case Hit::Track: app.selection_ = Selection{}; break;
      default: break;
    }
  }
  if (canvas_hovered && ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left) && app.hover.kind == Hit::Slice) {
    app.select(app.hover.source, app.hover.slice, false);
    app.fit_selection();
  }
  if (!io.WantTextInput && !popup_open) {
    // Letters are GLFW key codes, which equal their upper-case ASCII ('W' == GLFW_KEY_W).
    auto down = [&](int k) { return k >= 0 && k < 512 && io.KeysDown[k]; };
    auto held = [&](int k) { return k >= 0 && k < 512 ? io.KeysDownDuration[k] : 0.0f; };
    const int left = ImGui::GetKeyIndex(ImGuiKey_LeftArrow), right = ImGui::GetKeyIndex(ImGuiKey_RightArrow);
    NavKeys keys;
    keys.zoom_in = down('W');
    keys.zoom_out = down('S');
    keys.left = down('A') || down(left);
    keys.right = down('D') || down(right);
    const double held_s = std::max({held('W'), held('S'), held('A'), held('D'), held(left), held(right)});
    const double anchor = over_area ? mx : area_w * 0.5;
    if (!io.KeyCtrl) keyboard_nav(view, keys, io.DeltaTime, held_s, anchor);
  }

  // ---- draw: backgrounds, grid, labels -----------------------------------------------------------------
  const auto [first_item, last_item] = app.layout.visible(win_top - p0.y, win_bottom - p0.y);
  const ImVec2 area_min(area_x, win_top), area_max(area_x + area_w, win_bottom);
  dl->AddRectFilled(ImVec2(top_left.x, win_top), ImVec2(area_x, win_bottom), kGutterBg);
  for (size_t i = first_item; i < last_item; ++i) {
    const LayoutItem& it = app.layout.items[i];
    const float y = p0.y + it.y;
    if (it.kind == ItemKind::Track || it.kind == ItemKind::Counter)
      dl->AddRectFilled(ImVec2(area_x, y), ImVec2(area_x + area_w, y + it.h), (i % 2) ? kTrackBgA : kTrackBgB);
  }
  dl->PushClipRect(area_min, area_max, true);
  for (const RulerTick& t : ruler.ticks)
    if (t.major) {
      const float x = area_x + static_cast<float>(view.x_of(t.t));
      dl->AddLine(ImVec2(x, win_top), ImVec2(x, win_bottom), kGrid, 1);
    }
  dl->PopClipRect();

  // ---- draw: slices, row by row ----------------------------------------------------------------------
  std::vector<Box> boxes;
  boxes.reserve(4096);
  std::string dur_text;
  for (size_t i = first_item; i < last_item; ++i) {
    const LayoutItem& it = app.layout.items[i];
    const TimelineSource& src = sources[it.source];
    const Trace& t = *src.trace;
    const Document& doc = app.document(it.source);
    const float y = p0.y + it.y;
    const bool highlighted = app.highlight.active() && it.source < app.highlight.rows.size();
    if (it.kind == ItemKind::Trace) {
      dl->AddRectFilled(ImVec2(top_left.x, y), ImVec2(area_x + area_w, y + it.h), kTraceHeaderBg);
      const std::string title = std::string(it.source == 0 ? "A: " : "B: ") + doc.title;
      dl->AddText(ImVec2(top_left.x + 8, y + (it.h - fs) * 0.5f), kText, title.c_str());
      continue;
    }
    if (it.kind == ItemKind::Process) {
      const Process& p = t.processes[it.index];
      const bool folded = app.folds.is_folded(it.source, it.index);
      const bool hot = app.hover.kind == Hit::Process && app.hover.source == it.source && app.hover.process == it.index;
      dl->AddRectFilled(ImVec2(top_left.x, y), ImVec2(area_x + area_w, y + it.h), hot ? shade(kProcessBg, 1.25f) : kProcessBg);
      const std::string label = std::string(folded ? app.glyphs.folded : app.glyphs.unfolded) + "  " + p.name;
      dl->AddText(ImVec2(top_left.x + 8, y + (it.h - fs) * 0.5f), kText, label.c_str());
      const std::string info = "pid " + p.pid + "  " + std::to_string(p.tracks.size()) +
                               (p.tracks.size() == 1 ? " track" : " tracks") + (p.gpu ? "  GPU" : "");
      const float lw = ImGui::CalcTextSize(label.c_str()).x;
      dl->AddText(ImVec2(std::max(area_x + 8, top_left.x + 8 + lw + 16), y + (it.h - fs) * 0.5f), kDimText, info.c_str());
      continue;
    }
    if (it.kind == ItemKind::Counter) {
      const Counter& c = t.counters[it.index];
      dl->PushClipRect(ImVec2(top_left.x, y), ImVec2(area_x - 4, y + it.h), true);
      dl->AddText(ImVec2(top_left.x + 16, y + 4), kText, c.name.c_str());
      char range[64];
      std::snprintf(range, sizeof range, "max %.6g", c.max);
      dl->AddText(ImVec2(top_left.x + 16, y + 4 + fs), kDimText, range);
      dl->PopClipRect();
      // A step chart: one column per pixel, the value in force at the column's end, from the first sample
      // to the end of the trace; a light fill under a brighter edge.
      dl->PushClipRect(ImVec2(area_x, y), ImVec2(area_x + area_w, y + it.h), true);
      const uint32_t col = hash_color(c.name);
      const double range_v = std::max(c.max - c.min, 1e-300);
      const float base = y + it.h - 3, top = y + 4;
      const double first_x = view.x_of(static_cast<double>(c.ts.front()) - src.origin);
      const double last_x = view.x_of(static_cast<double>(t.end) - src.origin);
      size_t k = 0;
      float prev_y = base;
      for (int px = std::max(0, static_cast<int>(first_x)); px < std::min(static_cast<int>(area_w), static_cast<int>(last_x) + 1); ++px) {
        const double tt = view.t_of(px + 1) + src.origin;
        k = static_cast<size_t>(std::upper_bound(c.ts.begin() + static_cast<long>(k), c.ts.end(), clamp_to_time_range(tt)) - c.ts.begin());
        if (k == 0) continue;
        const float h = static_cast<float>((c.value[k - 1] - c.min) / range_v) * (base - top);
        const float x = area_x + static_cast<float>(px);
        dl->AddRectFilled(ImVec2(x, base - h), ImVec2(x + 1, base), with_alpha(col, 0x50));
        dl->AddLine(ImVec2(x, std::min(prev_y, base - h)), ImVec2(x, std::max(prev_y, base - h) + 1), col, 1);
        prev_y = base - h;
      }
      dl->PopClipRect();
      continue;
    }
    // A track: label in the gutter, then each visible row.
    const Track& tr = t.tracks[it.index];
    dl->PushClipRect(ImVec2(top_left.x, y), ImVec2(area_x - 4, y + it.h), true);
    {
      const float ty = y + m.track_pad + (m.row_h - fs) * 0.5f;
      const char* nb = tr.name.c_str();
      const char* ne = nb + tr.name.size();
      if (ImGui::CalcTextSize(nb, ne).x > area_x - 8 - (top_left.x + 16)) {
        ImGui::RenderTextEllipsis(dl, ImVec2(top_left.x + 16, ty), ImVec2(area_x - 8, ty + fs), area_x - 8, area_x - 8, nb, ne, nullptr);
      } else {
        dl->AddText(ImVec2(top_left.x + 16, ty), kText, nb, ne);
      }
    }
    if (it.h >= m.row_h * 2) {
      const std::string n = format_count(tr.slice_count) + " slices";
      dl->AddText(ImVec2(top_left.x + 16, y + m.track_pad + m.row_h + (m.row_h - fs) * 0.5f), kDimText, n.c_str());
    }
    dl->PopClipRect();
    dl->PushClipRect(ImVec2(area_x, std::max(y, win_top)), ImVec2(area_x + area_w, std::min(y + it.h, win_bottom)), true);
    const float top = app.layout.track_top[it.source][it.index];
    for (uint32_t d = 0; d < tr.rows.size(); ++d) {
      const float ry = p0.y + top + static_cast<float>(d) * m.row_h;
      if (ry > win_bottom || ry + m.row_h < win_top) continue;
      boxes.clear();
      build_row_boxes(t, tr.rows[d], src.origin, view, boxes);
      for (const Box& b : boxes) {
        const float x0 = area_x + static_cast<float>(std::max(b.x0, -2.0));
        const float x1 = area_x + static_cast<float>(std::min(b.x1, static_cast<double>(area_w) + 2));
        uint32_t col = app.color_of(doc, b.rep);
        if (b.count > 1) col = shade(col, 0.72f);
        if (highlighted) col = with_alpha(shade(col, 0.5f), 0x90);
        dl->AddRectFilled(ImVec2(x0, ry + 1), ImVec2(x1, ry + m.row_h - 1), col);
        if (b.count == 1 && x1 - x0 > 6) {
          dl->AddRect(ImVec2(x0, ry + 1), ImVec2(x1, ry + m.row_h - 1), shade(col, 0.55f));
          if (!highlighted && x1 - x0 > fs * 1.5f) {
            const Slice& s = t.slices[b.first];
            dur_text = format_duration(static_cast<double>(s.dur));
            draw_box_label(dl, x0, x1, ry, ry + m.row_h, t.label(s), text_color_on(col), &dur_text);
          }
        }
      }
      // Highlighted slices (a statistics row was clicked) on top, in full colour.
      if (highlighted) {
        const auto& per_track = app.highlight.rows[it.source];
        if (it.index < per_track.size() && d < per_track[it.index].size() && !per_track[it.index][d].empty()) {
          boxes.clear();
          build_list_boxes(t, per_track[it.index][d], src.origin, view, boxes);
          for (const Box& b : boxes) {
            const float x0 = area_x + static_cast<float>(std::max(b.x0, -2.0));
            const float x1 = area_x + static_cast<float>(std::min(std::max(b.x1, b.x0 + 2), static_cast<double>(area_w) + 2));
            const uint32_t col = app.color_of(doc, b.rep);
            dl->AddRectFilled(ImVec2(x0, ry + 1), ImVec2(x1, ry + m.row_h - 1), col);
            dl->AddRect(ImVec2(x0 - 1, ry), ImVec2(x1 + 1, ry + m.row_h), rgba(255, 255, 255, 0xd0));
            if (b.count == 1 && x1 - x0 > fs * 1.5f) {
              const Slice& s = t.slices[b.first];
              dur_text = format_duration(static_cast<double>(s.dur));
              draw_box_label(dl, x0, x1, ry, ry + m.row_h, t.label(s), text_color_on(col), &dur_text);
            }
          }
        }
      }
    }
    // Instants: small triangles on the first row, at most one per pixel.
    if (!tr.instants.empty()) {
      const double tl = view.t0 + src.origin, tr1 = view.t1() + src.origin;
      auto in = std::lower_bound(tr.instants.begin(), tr.instants.end(), tl,
                                 [](const Instant& a, double v) { return static_cast<double>(a.ts) < v; });
      float last_x = -1e9f;
      const float iy = p0.y + top;
      for (; in != tr.instants.end() && static_cast<double>(in->ts) <= tr1; ++in) {
        const float x = area_x + static_cast<float>(view.x_of(static_cast<double>(in->ts) - src.origin));
        if (x - last_x < 1.0f) continue;
        last_x = x;
        const uint32_t col = doc.category_colors[in->cat];
        dl->AddTriangleFilled(ImVec2(x - 5, iy), ImVec2(x + 5, iy), ImVec2(x, iy + 8), col);
        dl->AddLine(ImVec2(x, iy), ImVec2(x, iy + m.row_h), with_alpha(col, 0x90));
      }
    }
    dl->PopClipRect();
  }

  // ---- draw: selection, hover, flows, interval, cursor -------------------------------------------------
  dl->PushClipRect(area_min, area_max, true);
  auto slice_rect = [&](int source, uint32_t slice, ImVec2& a, ImVec2& b) {
    const TimelineSource& src = sources[static_cast<size_t>(source)];
    const Slice& s = src.trace->slices[slice];
    const float ry = app.layout.row_y(static_cast<size_t>(source), s.track, s.depth, m);
    if (ry < 0) return false;
    const double x0 = view.x_of(static_cast<double>(s.start) - src.origin);
    const double x1 = std::max(view.x_of(static_cast<double>(s.end()) - src.origin), x0 + 2);
    a = v2(area_x + std::max(x0, -4.0), p0.y + ry);
    b = v2(area_x + std::min(x1, area_w + 4.0), p0.y + ry + m.row_h);
    return true;
  };
  if (app.hover.kind == Hit::Slice || app.hover.kind == Hit::Merged) {
    const float ry = app.layout.row_y(static_cast<size_t>(app.hover.source), app.hover.track, app.hover.depth, m);
    if (ry >= 0)
      dl->AddRect(v2(area_x + app.hover.x0 - 1, p0.y + ry), v2(area_x + app.hover.x1 + 1, p0.y + ry + m.row_h),
                  rgba(255, 255, 255, 0xc0), 0, 0, 1.5f);
  }
  const Selection& sel = app.selection();
  if (sel.valid() && static_cast<size_t>(sel.source) < sources.size()) {
    const Trace& t = *sources[static_cast<size_t>(sel.source)].trace;
    ImVec2 a, b;
    if (slice_rect(sel.source, sel.slice, a, b)) dl->AddRect(a, b, kSelect, 0, 0, 2.5f);
    // Flows of the selection, and (for an enclosing range) of the launches inside it.
    std::vector<uint32_t> flows = t.flows_of(sel.slice);
    const Slice& s = t.slices[sel.slice];
    if (app.options.show_flows_of_children && (s.flags & kHasChildren) && !t.flows.empty()) {
      const Track& tr = t.tracks[s.track];
      for (size_t d = s.depth + 1u; d < tr.rows.size() && flows.size() < 2000; ++d) {
        const auto [lo, hi] = overlapping(t, tr.rows[d], s.start, s.end());
        for (uint32_t k = lo; k < hi && flows.size() < 2000; ++k)
          for (uint32_t f : t.flows_of(k)) flows.push_back(f);
      }
    }
    for (uint32_t fi : flows) {
      const Flow& f = t.flows[fi];
      ImVec2 fa, fb, ta, tb;
      if (!slice_rect(sel.source, f.from, fa, fb) || !slice_rect(sel.source, f.to, ta, tb)) continue;
      const double o = sources[static_cast<size_t>(sel.source)].origin;
      const float x_from = area_x + static_cast<float>(view.x_of(static_cast<double>(f.from_ts) - o));
      const float x_to = area_x + static_cast<float>(view.x_of(static_cast<double>(f.to_ts) - o));
      const bool down_wards = ta.y >= fa.y;
      const ImVec2 from(x_from, down_wards ? fb.y - 2 : fa.y + 2);
      const ImVec2 to(x_to, down_wards ? ta.y + 1 : tb.y - 1);
      draw_arrow(dl, from, to, kFlow, 1.8f);
      dl->AddRect(ta, tb, kFlow, 0, 0, 1.5f);
    }
  }
  if (app.interval.active) {
    const float xa = area_x + static_cast<float>(view.x_of(app.interval.a));
    const float xb = area_x + static_cast<float>(view.x_of(app.interval.b));
    dl->AddRectFilled(ImVec2(xa, win_top), ImVec2(xb, win_bottom), kInterval);
    dl->AddLine(ImVec2(xa, win_top), ImVec2(xa, win_bottom), kIntervalEdge, 1);
    dl->AddLine(ImVec2(xb, win_top), ImVec2(xb, win_bottom), kIntervalEdge, 1);
  }
  if (over_area) dl->AddLine(ImVec2(io.MousePos.x, win_top), ImVec2(io.MousePos.x, win_bottom), rgba(255, 255, 255, 0x38));
  dl->PopClipRect();

  // Tooltips (not while dragging).
  if (canvas_hovered && !ImGui::IsMouseDragging(ImGuiMouseButton_Left, 2.0f) && !app.measuring) {
    switch (app.hover.kind) {
      case Hit::Slice: draw_slice_tooltip(app, app.hover.source, app.hover.slice); break;
      case Hit::Merged: draw_merged_tooltip(app, app.hover); break;
      case Hit::Instant: draw_instant_tooltip(app, app.hover); break;
      case Hit::Process: ImGui::SetTooltip("Click to fold or unfold this process"); break;
      case Hit::Counter: {
        // The value in force at the cursor: the last sample at or before it.
        const TimelineSource& src = sources[static_cast<size_t>(app.hover.source)];
        const Counter& c = src.trace->counters[app.hover.counter];
        const Ns t = clamp_to_time_range(view.t_of(mx) + src.origin);
        const auto it = std::upper_bound(c.ts.begin(), c.ts.end(), t);
        if (it != c.ts.begin())
          ImGui::SetTooltip("%s = %.6g\nat %s", c.name.c_str(), c.value[static_cast<size_t>(it - c.ts.begin()) - 1],
                            format_duration_exact(*(it - 1) - clamp_to_time_range(src.origin)).c_str());
        break;
      }
      default: break;
    }
  }
  ImGui::EndChild();  // tracks

  // ---- ruler overlays: the interval and the cursor time (drawn after the tracks so they stay on top) ---
  rdl->PushClipRect(ImVec2(area_x, top_left.y), ImVec2(area_x + area_w, top_left.y + ruler_h), true);
  if (app.interval.active) {
    const float xa = area_x + static_cast<float>(view.x_of(std::min(app.interval.a, app.interval.b)));
    const float xb = area_x + static_cast<float>(view.x_of(std::max(app.interval.a, app.interval.b)));
    rdl->AddRectFilled(ImVec2(xa, top_left.y), ImVec2(xb, top_left.y + ruler_h), rgba(0x5a, 0x9c, 0xff, 0x90));
    const std::string d = format_duration(std::fabs(app.interval.b - app.interval.a), 4);
    const float tw = ImGui::CalcTextSize(d.c_str()).x;
    const float cx = std::clamp((xa + xb - tw) * 0.5f, area_x + 2, area_x + area_w - tw - 2);
    rdl->AddRectFilled(ImVec2(cx - 4, top_left.y + 2), ImVec2(cx + tw + 4, top_left.y + ruler_h - 2), rgba(0x20, 0x40, 0x80, 0xf0), 3);
    rdl->AddText(ImVec2(cx, top_left.y + (ruler_h - fs) * 0.5f), kText, d.c_str());
  }
  if ((over_area || ruler_hovered) && !app.measuring) {
    const double t = view.t_of(io.MousePos.x - area_x);
    const std::string label = format_duration(t, 5);
    const float tw = ImGui::CalcTextSize(label.c_str()).x;
    const float x = std::clamp(io.MousePos.x + 6, area_x, area_x + area_w - tw - 8);
    rdl->AddRectFilled(ImVec2(x - 3, top_left.y + ruler_h - fs - 3), ImVec2(x + tw + 3, top_left.y + ruler_h), rgba(0x10, 0x10, 0x14, 0xe0), 2);
    rdl->AddText(ImVec2(x, top_left.y + ruler_h - fs - 2), rgba(255, 255, 255), label.c_str());
  }
  rdl->PopClipRect();

  ImGui::EndChild();  // timeline
  ImGui::PopStyleVar(2);
}

}  // namespace qwen3::viewer
