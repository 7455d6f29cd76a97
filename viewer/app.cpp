#include "viewer/app.h"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

#include "viewer/colors.h"
#include "viewer/file_dialog.h"
#include "viewer/load_job.h"
#include "viewer/name_filter.h"
#include "viewer/panels.h"
#include "viewer/time_format.h"

namespace qwen3::viewer {

namespace {

constexpr int kTabStats = 0, kTabCategories = 1, kTabCompare = 2;

}  // namespace

std::unique_ptr<Document> make_document(Trace trace) {
  auto d = std::make_unique<Document>();
  d->trace = std::move(trace);
  d->work = compute_stats(d->trace, {StatsScope::Basis, false});
  d->everything = compute_stats(d->trace, {StatsScope::All, false});
  const std::string file = std::filesystem::path(d->trace.path).filename().string();
  d->title = file.empty() ? d->trace.path : file;
  const size_t n = d->trace.strings.size();
  d->category_colors.resize(n);
  d->name_colors.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    d->category_colors[i] = category_color(d->trace.strings[i]);
    d->name_colors[i] = hash_color(d->trace.strings[i]);
  }
  return d;
}

std::unique_ptr<Document> make_document(const std::string& path, const LoadOptions& options, LoadProgress* progress) {
  return make_document(load_trace(path, options, progress));
}

App::App(AppOptions options) : app_options_(std::move(options)) {
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  dialog_ = std::make_unique<FileDialog>(ec ? std::string("/") : cwd);
}

App::~App() = default;

std::vector<TimelineSource> App::sources() const {
  std::vector<TimelineSource> out;
  for (size_t i = 0; i < docs_.size(); ++i) out.push_back({&docs_[i]->trace, i < origins.size() ? origins[i] : 0.0});
  return out;
}

void App::realign() {
  origins.clear();
  double span = 1;
  for (const auto& d : docs_) {
    const double o = docs_.size() > 1 ? align_origin(d->trace, align_name) : static_cast<double>(d->trace.start);
    origins.push_back(o);
    span = std::max(span, static_cast<double>(d->trace.end) - o);
  }
  view.span_ns = span;
  view.clamp();
}

void App::set_document(int slot, std::unique_ptr<Document> doc) {
  if (slot <= 0 || docs_.empty()) docs_.clear();
  if (docs_.size() >= 2) docs_.resize(1);
  docs_.push_back(std::move(doc));
  selection_ = Selection{};
  hover = Hit{};
  clear_highlight();
  interval = Interval{};
  interval_busy.clear();
  folds = Folds{};
  table.clear();
  comparison_dirty = true;
  stats_selected_label.clear();
  stats_source = 0;
  realign();
  relayout();
  fit_all();
  if (docs_.size() > 1) {
    bottom_tab_request = kTabCompare;  // what a second trace is for
    // Backends run different kernels for the same op: compare per op when launches are linked to kernels.
    compare_options.by_op = !docs_[0]->trace.flows.empty() && !docs_[1]->trace.flows.empty();
  }
}

void App::relayout() { layout = build_layout(sources(), folds, metrics); }

void App::fit_all() {
  if (!width_known) pending_fit = 1;
  view.fit(0, view.span_ns, 0.01);
}

void App::fit_selection() {
  if (!width_known) pending_fit = 2;
  if (selection_.valid()) {
    const Slice& s = docs_[static_cast<size_t>(selection_.source)]->trace.slices[selection_.slice];
    const double o = origins[static_cast<size_t>(selection_.source)];
    view.fit(static_cast<double>(s.start) - o, static_cast<double>(s.end()) - o, 0.08);
  } else if (interval.active) {
    view.fit(interval.a, interval.b, 0.02);
  } else {
    fit_all();
  }
}

void App::select(int source, uint32_t slice, bool center_view) {
  selection_ = {source, slice};
  right_tab_request = 0;
  const Trace& t = docs_[static_cast<size_t>(source)]->trace;
  const Slice& s = t.slices[slice];
  const uint32_t proc = t.tracks[s.track].process;
  if (folds.is_folded(static_cast<size_t>(source), proc)) {
    folds.toggle(static_cast<size_t>(source), proc, t.processes.size());
    relayout();
  }
  if (center_view) {
    const double o = origins[static_cast<size_t>(source)];
    const double a = static_cast<double>(s.start) - o, b = static_cast<double>(s.end()) - o;
    const double w = view.t1() - view.t0;
    if (b - a > 0.8 * w) view.fit(a, b, 0.08);
    else if (a < view.t0 || b > view.t1()) view.t0 = (a + b) * 0.5 - w * 0.5;
    view.clamp();
    pending_scroll_y = layout.row_y(static_cast<size_t>(source), s.track, s.depth, metrics);
  }
}

bool App::select_by_name(const std::string& name) {
  for (size_t d = 0; d < docs_.size(); ++d) {
    const Trace& t = docs_[d]->trace;
    uint32_t best = kNone;
    const uint32_t id = t.strings.find(name);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Exact name first; else the earliest slice whose name contains it (case-insensitive).
    for (int pass = 0; pass < 2 && best == kNone; ++pass)
      for (uint32_t i = 0; i < t.slices.size(); ++i) {
        const Slice& s = t.slices[i];
        const bool match = pass == 0 ? (id != kNone && s.name == id) : contains_icase(t.strings[s.name], lower);
        if (match && (best == kNone || s.start < t.slices[best].start)) best = i;
      }
    if (best != kNone) {
      select(static_cast<int>(d), best, true);
      return true;
    }
  }
  return false;
}

void App::clear_highlight() { highlight = Highlight{}; }

void App::set_highlight(std::vector<std::string> labels, bool merged, bool by_category) {
  highlight = Highlight{};
  highlight.labels = std::move(labels);
  highlight.merged = merged;
  highlight.by_category = by_category;
  highlight.rows.resize(docs_.size());
  for (size_t d = 0; d < docs_.size(); ++d) {
    const Trace& t = docs_[d]->trace;
    // Which string ids belong: decided once per id, then one pass over the slices.
    std::vector<uint8_t> on(t.strings.size(), 0);
    for (uint32_t id = 0; id < t.strings.size(); ++id) {
      const std::string_view shown = by_category ? t.strings[id] : t.label_of(id);  // as the statistics row shows it
      const std::string label = merged && !by_category ? merge_layer_numbers(shown) : std::string(shown);
      on[id] = std::find(highlight.labels.begin(), highlight.labels.end(), label) != highlight.labels.end();
    }
    auto& rows = highlight.rows[d];
    rows.assign(t.tracks.size(), {});
    for (size_t k = 0; k < t.tracks.size(); ++k) rows[k].resize(t.tracks[k].rows.size());
    for (uint32_t i = 0; i < t.slices.size(); ++i) {
      const Slice& s = t.slices[i];
      if (on[by_category ? s.cat : s.name]) {
        rows[s.track][s.depth].push_back(i);  // slices are stored row by row, sorted: lists stay sorted
        ++highlight.count;
      }
    }
  }
}

void App::set_interval(double a, double b, bool final) {
  interval = {true, std::min(a, b), std::max(a, b)};
  interval_busy.clear();
  for (size_t d = 0; d < docs_.size(); ++d) {
    const double o = origins[d];
    interval_busy.push_back(busy_in_interval(docs_[d]->trace, clamp_to_time_range(interval.a + o),
                                             clamp_to_time_range(interval.b + o)));
  }
  if (final) bottom_tab_request = kTabInterval;
}

uint32_t App::color_of(const Document& doc, uint32_t slice) const {
  const Slice& s = doc.trace.slices[slice];
  return options.color_by_name ? doc.name_colors[s.name] : doc.category_colors[s.cat];
}

void App::open_path(const std::string& path, int slot) {
  error_.clear();
  job_ = std::make_unique<LoadJob>(path, app_options_.load, slot);
}

bool App::busy() const { return job_ != nullptr; }

void App::poll_load() {
  if (!job_ || !job_->done()) return;
  std::string err;
  std::unique_ptr<Document> doc = job_->take(err);
  const int slot = job_->slot();
  job_.reset();
  if (doc) set_document(slot, std::move(doc));
  else error_ = err;  // the viewer keeps what it had and says why in a banner
}

void App::handle_shortcuts() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput || ImGui::IsPopupOpen("", ImGuiPopupFlags_AnyPopupId)) return;
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, false); };
  if (io.KeyCtrl && pressed('O')) dialog_->open(io.KeyShift ? 1 : 0);
  if (io.KeyCtrl && pressed('Q')) quit_ = true;
  if (io.KeyCtrl) return;
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_Home))) fit_all();
  if (pressed('F')) fit_selection();
  if (pressed('M') && selection_.valid()) {
    const Slice& s = docs_[static_cast<size_t>(selection_.source)]->trace.slices[selection_.slice];
    const double o = origins[static_cast<size_t>(selection_.source)];
    set_interval(static_cast<double>(s.start) - o, static_cast<double>(s.end()) - o, true);
  }
  if (pressed('H') && selection_.valid()) {
    const Trace& t = docs_[static_cast<size_t>(selection_.source)]->trace;
    set_highlight({std::string(t.name(t.slices[selection_.slice]))}, false, false);
  }
  if (pressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    if (selection_.valid()) selection_ = Selection{};
    else if (highlight.active()) clear_highlight();
    else interval.active = false;
  }
  if (pressed(290 /* GLFW_KEY_F1 */) || (io.KeyShift && pressed('/'))) show_help_ = !show_help_;
}

void App::draw_menu() {
  if (!ImGui::BeginMenuBar()) return;
  if (ImGui::BeginMenu("File")) {
    if (ImGui::MenuItem("Open...", "Ctrl+O")) dialog_->open(0);
    if (ImGui::MenuItem("Open second trace (compare)...", "Ctrl+Shift+O", false, !docs_.empty())) dialog_->open(1);
    if (ImGui::MenuItem("Close second trace", nullptr, false, docs_.size() > 1)) {
      std::unique_ptr<Document> first = std::move(docs_[0]);
      set_document(0, std::move(first));
    }
    ImGui::Separator();
    if (ImGui::MenuItem("Quit", "Ctrl+Q")) quit_ = true;
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("View")) {
    if (ImGui::MenuItem("Fit all", "Home", false, !docs_.empty())) fit_all();
    if (ImGui::MenuItem("Fit selection", "F", false, selection_.valid() || interval.active)) fit_selection();
    if (ImGui::MenuItem("Clear selection", "Esc", false, selection_.valid())) selection_ = Selection{};
    if (ImGui::MenuItem("Clear highlight", nullptr, false, highlight.active())) clear_highlight();
    ImGui::Separator();
    ImGui::MenuItem("Colour by name (not category)", nullptr, &options.color_by_name);
    ImGui::MenuItem("Arrows of launches inside a selected range", nullptr, &options.show_flows_of_children);
    ImGui::Separator();
    if (ImGui::MenuItem("Fold all processes", nullptr, false, !docs_.empty())) {
      folds.folded.assign(docs_.size(), {});
      for (size_t d = 0; d < docs_.size(); ++d) folds.folded[d].assign(docs_[d]->trace.processes.size(), 1);
    }
    if (ImGui::MenuItem("Unfold all processes", nullptr, false, !docs_.empty())) folds = Folds{};
    ImGui::EndMenu();
  }
  if (ImGui::BeginMenu("Help")) {
    if (ImGui::MenuItem("Keys and mouse", "F1")) show_help_ = true;
    ImGui::EndMenu();
  }
  // The trace names on the right of the menu bar.
  if (!docs_.empty()) {
    std::string title = docs_[0]->title;
    if (docs_.size() > 1) title = "A: " + title + "   B: " + docs_[1]->title;
    const float w = ImGui::CalcTextSize(title.c_str()).x;
    ImGui::SameLine(std::max(ImGui::GetCursorPosX() + 20, ImGui::GetWindowWidth() - w - 16));
    ImGui::TextDisabled("%s", title.c_str());
  }
  ImGui::EndMenuBar();
}

void App::draw_header() {
  const float fs = ImGui::GetFontSize();
  for (size_t d = 0; d < docs_.size(); ++d) {
    const Document& doc = *docs_[d];
    const Trace& t = doc.trace;
    ImGui::PushID(static_cast<int>(d));
    if (docs_.size() > 1) {
      ImGui::TextColored(ImVec4(0.62f, 0.72f, 0.88f, 1), "%s", d == 0 ? "A" : "B");
      ImGui::SameLine();
    }
    ImGui::TextUnformatted(doc.title.c_str());
    ImGui::SameLine(0, fs);
    size_t tracks = 0;
    for (const Process& p : t.processes) tracks += p.tracks.size();
    ImGui::TextDisabled("span %s  |  %s slices  |  %zu %s, %zu %s  |  work: %s in %s %s",
                        format_duration(static_cast<double>(t.end - t.start), 4).c_str(),
                        format_count(t.slices.size()).c_str(), t.processes.size(),
                        t.processes.size() == 1 ? "process" : "processes", tracks, tracks == 1 ? "track" : "tracks",
                        format_duration(static_cast<double>(doc.work.basis_total), 4).c_str(),
                        format_count(static_cast<uint64_t>(doc.work.basis_calls)).c_str(),
                        t.has_gpu ? "GPU kernels/copies" : "ops (leaf ranges)");
    if (t.problems > 0) {
      ImGui::SameLine(0, fs);
      ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.3f, 1), "%s events dropped (see Info)", format_count(t.problems).c_str());
    }
    if (ImGui::BeginTable("header", 2, ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupColumn("bar", ImGuiTableColumnFlags_WidthStretch, 0.58f);
      ImGui::TableSetupColumn("legend", ImGuiTableColumnFlags_WidthStretch, 0.42f);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      draw_share_bar(*this, doc, ImGui::GetContentRegionAvail().x, fs + 8);
      ImGui::TableNextColumn();
      draw_legend(*this, doc);
      ImGui::EndTable();
    }
    ImGui::PopID();
  }
}

void App::draw_bottom(float height) {
  const float w = ImGui::GetContentRegionAvail().x;
  const float left_w = std::round(w * 0.6f);
  ImGui::BeginChild("bottom_left", ImVec2(left_w, height), false);
  if (ImGui::BeginTabBar("tabs")) {
    auto tab = [&](const char* label, int id) {
      const ImGuiTabItemFlags f = bottom_tab_request == id ? ImGuiTabItemFlags_SetSelected : 0;
      return ImGui::BeginTabItem(label, nullptr, f);
    };
    if (tab("Statistics", kTabStats)) {
      draw_stats_tab(*this);
      ImGui::EndTabItem();
    }
    if (tab("Categories", kTabCategories)) {
      draw_categories_tab(*this);
      ImGui::EndTabItem();
    }
    if (docs_.size() > 1 && tab("Compare", kTabCompare)) {
      draw_compare_tab(*this);
      ImGui::EndTabItem();
    }
    if (tab("Interval", kTabInterval)) {
      draw_interval_tab(*this);
      ImGui::EndTabItem();
    }
    uint64_t problems = 0;
    for (const auto& d : docs_) problems += d->trace.problems;
    const std::string info = problems ? "Info (" + format_count(problems) + " dropped)###info" : std::string("Info###info");
    if (tab(info.c_str(), 4)) {
      draw_messages_tab(*this);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  bottom_tab_request = -1;
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("bottom_right", ImVec2(0, height), true);
  if (ImGui::BeginTabBar("right")) {
    if (ImGui::BeginTabItem("Details", nullptr, right_tab_request == 0 ? ImGuiTabItemFlags_SetSelected : 0)) {
      draw_details_panel(*this);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Histogram", nullptr,
                            right_tab_request == 1 || (right_shows_histogram && right_tab_request < 0)
                                ? ImGuiTabItemFlags_SetSelected : 0)) {
      draw_histogram_panel(*this);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  right_tab_request = -1;
  right_shows_histogram = false;
  ImGui::EndChild();
}

void App::frame() {
  poll_load();
  const float fs = ImGui::GetFontSize();
  metrics.row_h = std::round(fs + 7);
  metrics.process_h = std::round(fs + 10);
  metrics.trace_h = std::round(fs + 12);
  metrics.counter_h = std::round(fs * 2.8f);
  metrics.track_pad = 3;
  relayout();
  handle_shortcuts();

  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_MenuBar | ImGuiWindowFlags_NoMove |
                                 ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                 ImGuiWindowFlags_NoScrollWithMouse;
  ImGui::Begin("qwen3-viewer", nullptr, flags);
  draw_menu();

  if (!error_.empty()) {
    ImGui::PushStyleColor(ImGuiCol_ChildBg, ImVec4(0.45f, 0.12f, 0.12f, 1));
    const float h = ImGui::GetTextLineHeightWithSpacing() * 2 + 8;
    ImGui::BeginChild("error", ImVec2(0, h), true);
    ImGui::TextWrapped("Could not open: %s", error_.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Dismiss")) error_.clear();
    ImGui::EndChild();
    ImGui::PopStyleColor();
  }
  if (job_) {
    ImGui::Text("Loading %s", job_->path().c_str());
    ImGui::SameLine();
    ImGui::ProgressBar(job_->fraction(), ImVec2(fs * 20, 0));
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel")) job_->cancel();
  }

  if (docs_.empty()) {
    ImGui::Dummy(ImVec2(0, fs * 6));
    const char* lines[] = {"qwen3-viewer: a timeline for kernel traces",
                           "Open a Chrome trace-event JSON (ours, PyTorch profiler's, .json or .json.gz):",
                           "File > Open (Ctrl+O), drop a file on the window, or  qwen3-viewer trace.json [other.json]"};
    for (const char* l : lines) {
      const float w = ImGui::CalcTextSize(l).x;
      ImGui::SetCursorPosX(std::max(0.0f, (ImGui::GetWindowWidth() - w) * 0.5f));
      ImGui::TextUnformatted(l);
    }
    ImGui::SetCursorPosX(ImGui::GetWindowWidth() * 0.5f - fs * 4);
    if (ImGui::Button("Open...", ImVec2(fs * 8, 0))) dialog_->open(0);
  } else {
    draw_header();
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float splitter = 6;
    const float bottom = std::round(std::max(avail.y * options.bottom_fraction, fs * 6));
    const float timeline = std::max(avail.y - bottom - splitter, fs * 6);
    draw_timeline(*this, ImVec2(avail.x, timeline));
    // The splitter: drag to share the height between the timeline and the panels.
    ImGui::InvisibleButton("splitter", ImVec2(avail.x, splitter));
    if (ImGui::IsItemHovered() || ImGui::IsItemActive()) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeNS);
    if (ImGui::IsItemActive())
      options.bottom_fraction = std::clamp(options.bottom_fraction - ImGui::GetIO().MouseDelta.y / std::max(avail.y, 1.0f), 0.12f, 0.8f);
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(a.x, a.y + 2), ImVec2(b.x, b.y - 2),
                                              ImGui::IsItemActive() ? rgba(0x7a, 0xb4, 0xff) : rgba(0x3a, 0x3e, 0x48));
    draw_bottom(std::max(ImGui::GetContentRegionAvail().y, fs * 4));
  }

  std::string path;
  int slot = 0;
  if (dialog_->draw(path, slot, glyphs)) open_path(path, slot);

  if (show_help_) {
    ImGui::SetNextWindowSize(ImVec2(fs * 30, 0), ImGuiCond_Appearing);
    if (ImGui::Begin("Keys and mouse", &show_help_, ImGuiWindowFlags_NoSavedSettings)) {
      const char* rows[][2] = {
          {"Wheel", "zoom around the cursor (Shift+wheel: scroll)"},
          {"Drag", "pan (left button, both directions)"},
          {"W / S", "zoom in / out (hold to accelerate)"},
          {"A / D, arrows", "pan left / right"},
          {"Click", "select a slice; a merged box zooms in; a process header folds"},
          {"Double-click", "zoom to the slice"},
          {"Drag on the ruler", "measure an interval (also right-drag on the tracks)"},
          {"F", "fit the selection (or the interval)"},
          {"Home", "fit all"},
          {"M", "measure the selected slice"},
          {"H", "highlight every slice with the selected name"},
          {"Esc", "clear selection, then highlight, then interval"},
          {"Ctrl+O / Ctrl+Shift+O", "open a trace / a second trace to compare"},
      };
      if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit)) {
        for (const auto& r : rows) {
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(r[0]);
          ImGui::TableNextColumn();
          ImGui::TextDisabled("%s", r[1]);
        }
        ImGui::EndTable();
      }
      ImGui::TextDisabled("Statistics: click a row to highlight its slices; click a header to sort.");
    }
    ImGui::End();
  }
  ImGui::End();
}

}  // namespace qwen3::viewer
