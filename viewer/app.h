// The viewer's window: documents (one trace, or two in compare mode), what is selected, highlighted and
// measured, and the panels that show them. Everything here is state plus thin ImGui code; the questions
// ("what is under the mouse", "which boxes", "what are the statistics") are answered by the model library.
//
// Screen layout (one full-window ImGui window):
//   menu bar        File / View / Help
//   header          trace title(s) and, per trace, a bar of each category's share of the work + legend
//   timeline        time ruler (drag to measure), then processes and tracks (draw_timeline.cpp)
//   ---- splitter (drag) ----
//   bottom left     tabs: Statistics (by name), Categories, Compare (two traces), Interval, Messages
//   bottom right    details of the selected slice, or the histogram of the selected statistics row
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "viewer/compare.h"
#include "viewer/hit_test.h"
#include "viewer/interval.h"
#include "viewer/layout.h"
#include "viewer/name_filter.h"
#include "viewer/stats.h"
#include "viewer/theme.h"
#include "viewer/time_view.h"
#include "viewer/trace.h"
#include "viewer/trace_loader.h"

namespace qwen3::viewer {

class LoadJob;
class FileDialog;

// A loaded trace and what is derived from it once.
struct Document {
  Trace trace;
  Stats work;        // basis scope (the share bar, the default statistics)
  Stats everything;  // every slice (the legend lists every category drawn)
  std::string title; // the file name
  // Colours by string id, computed once: as a category (category_color) and as a name (hash_color).
  std::vector<uint32_t> category_colors, name_colors;
};
// Loads and summarises; throws what load_trace throws.
std::unique_ptr<Document> make_document(const std::string& path, const LoadOptions& options,
                                        LoadProgress* progress = nullptr);
std::unique_ptr<Document> make_document(Trace trace);

struct Selection {
  int source = -1;
  uint32_t slice = kNone;
  bool valid() const { return source >= 0 && slice != kNone; }
};

// Slices whose names belong to a statistics row, per source and per (track, depth), sorted by start: the
// overlay drawn on the timeline ("click a row to highlight its events").
struct Highlight {
  std::vector<std::string> labels;  // the rows' labels (names, or "layer * / ..." when merged)
  bool merged = false;
  bool by_category = false;         // labels are categories, not names
  // [source][track][depth] -> slice indices
  std::vector<std::vector<std::vector<std::vector<uint32_t>>>> rows;
  uint64_t count = 0;
  bool active() const { return !labels.empty(); }
};

// The measured interval (drag on the ruler), in the timeline's relative time.
struct Interval {
  bool active = false;
  double a = 0, b = 0;
};

struct ViewOptions {
  bool color_by_name = false;   // default: by category
  bool show_flows_of_children = true;  // a selected range shows the arrows of the launches inside it
  float bottom_fraction = 0.36f;       // share of the height given to the bottom panels
};

struct AppOptions {
  LoadOptions load;             // for File > Open (lenient by default)
  float font_scale = 1.0f;
};

class App {
 public:
  explicit App(AppOptions options);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Replaces trace `slot` (0, or 1 for the compared trace) and fits the view.
  void set_document(int slot, std::unique_ptr<Document> doc);
  size_t documents() const { return docs_.size(); }
  const Document& document(size_t i) const { return *docs_[i]; }

  // One frame of UI, between ImGui::NewFrame() and ImGui::Render().
  void frame();
  bool quit_requested() const { return quit_; }
  bool busy() const;  // a load is running or keys are held: keep rendering

  // Scripted actions (command line, tests, screenshots).
  bool select_by_name(const std::string& name);  // the earliest slice named so, else containing it
  void fit_all();
  void fit_selection();
  void open_error(const std::string& message) { error_ = message; }
  const std::string& error() const { return error_; }

  // --- state shared with the panels (draw_*.cpp) ---------------------------------------------------
  std::vector<TimelineSource> sources() const;
  void select(int source, uint32_t slice, bool center_view);
  void set_highlight(std::vector<std::string> labels, bool merged, bool by_category);
  void clear_highlight();
  // `final`: the drag ended: the Interval tab is brought forward.
  void set_interval(double a, double b, bool final = false);
  uint32_t color_of(const Document& doc, uint32_t slice) const;
  // Recomputes each trace's origin (compare mode: aligned on `align_name`) and the view's span.
  void realign();
  // Loads `path` in the background into `slot` (File > Open, drag and drop).
  void open_path(const std::string& path, int slot);
  const Selection& selection() const { return selection_; }

  TimeView view;
  LayoutMetrics metrics;
  Folds folds;
  Layout layout;
  Selection selection_;
  Highlight highlight;
  Interval interval;
  ViewOptions options;
  Hit hover;
  float pending_scroll_y = -1;   // the timeline scrolls there on its next frame (jump to a slice)
  bool measuring = false;        // a drag on the ruler (or right-drag on tracks) is measuring
  double measure_anchor = 0;     // where that drag started, relative time
  std::vector<double> origins;   // per document: absolute ns drawn at relative time 0
  // Where draw_timeline put things this frame (screen pixels): the time area's left edge, the ruler's
  // top and height, the y of the tracks' content origin (scrolling included).
  float screen_area_x = 0, screen_ruler_y = 0, screen_ruler_h = 0, screen_tracks_y = 0;
  // The track area's width is known only once the timeline has been laid out: a fit asked for before
  // that (traces from the command line) is redone then. 1: fit all, 2: fit the selection.
  bool width_known = false;
  int pending_fit = 0;
  std::vector<std::unique_ptr<Document>> docs_;
  std::string align_name = "forward";  // compare mode: the slice both traces are aligned on
  Glyphs glyphs;                       // symbols the loaded font can draw (theme.h)

  // Statistics tab
  NameFilter stats_filter;
  char stats_filter_text[256] = {};
  StatsOptions stats_options;
  std::vector<Stats> table;           // per document, for stats_options
  std::string stats_selected_label;   // the row whose histogram the right panel shows
  int stats_source = 0;
  bool right_shows_histogram = false; // the right panel: details (false) or the row's histogram
  // Compare tab
  Comparison comparison;
  StatsOptions compare_options{StatsScope::Basis, true};
  bool comparison_dirty = true;
  NameFilter compare_filter;
  char compare_filter_text[256] = {};
  int compare_by_category = 0;
  // Interval tab (recomputed when the interval changes)
  std::vector<std::vector<TrackBusy>> interval_busy;  // per document
  int bottom_tab_request = -1;  // select a tab programmatically (kTab*)
  int right_tab_request = -1;   // 0 details, 1 histogram
  static constexpr int kTabInterval = 3;

 private:
  void draw_menu();
  void draw_header();
  void draw_bottom(float height);
  void handle_shortcuts();
  void poll_load();
  void recompute_table();
  void relayout();

  AppOptions app_options_;
  std::unique_ptr<FileDialog> dialog_;
  std::unique_ptr<LoadJob> job_;
  std::string error_;   // shown in a banner until dismissed
  bool quit_ = false;
  bool show_help_ = false;
};

}  // namespace qwen3::viewer
