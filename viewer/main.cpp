// qwen3-viewer: a timeline viewer for Chrome trace-event JSON (ours, PyTorch profiler's, any other).
//
//   qwen3-viewer [trace.json [other.json]]            the window (two files: compare mode)
//   qwen3-viewer trace.json --screenshot out.png [--size 1600x900] [--select NAME] [--fit]
//                                                     render a few frames offscreen, write a PNG, exit
//   qwen3-viewer [trace.json] --bench-frames N [--bench-events 1000000]
//                                                     per-frame CPU cost of the UI, headless
// Errors (a missing file, not JSON, not a trace, over a limit) are one line on stderr and exit status 1.
// In the window, File > Open shows them in a banner instead and the viewer keeps running.
#include <GLFW/glfw3.h>
#include <dlfcn.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>
#include <link.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "viewer/app.h"
#include "viewer/bench.h"
#include "viewer/screenshot.h"
#include "viewer/synthetic_trace.h"
#include "viewer/theme.h"
#include "viewer/time_format.h"

namespace {

using namespace qwen3::viewer;

struct Options {
  std::vector<std::string> files;
  std::string screenshot;
  std::string size = "1600x900";
  std::string select;
  bool fit = false;
  std::string range;  // "A:B" in ms from the trace start
  int frames = 4;
  int bench_frames = 0;  // 0: no benchmark
  int64_t bench_events = 1'000'000;  // signed, so that "-5" is refused rather than wrapped to 2^64 - 5
  std::string write_synthetic;
  double max_file_mb = 2048;
  int64_t max_events = 20'000'000;
  bool strict = false;
  float font_scale = 0;  // 0: from the monitor's content scale
};

// The ranges the numeric options accept (docs/viewer.md, "Running it"). Outside them a value would crash
// ImGui (font scale), run for hours (frames), exhaust memory (synthetic slices) or switch a limit off.
constexpr double kMinFontScale = 0.25, kMaxFontScale = 8;
constexpr int kMaxFrames = 1000;
constexpr int kMaxBenchFrames = 100'000;
constexpr int64_t kMaxBenchEvents = 10'000'000;  // about 1.7 GB resident, 1.8 GiB as JSON
constexpr double kMaxFileMb = 1024 * 1024;         // 1 TiB
constexpr int64_t kMaxEvents = 4'000'000'000;      // slices are indexed with 32 bits

// The first option whose value is out of its range, as one error line ("--font-scale nan: expected ..."),
// or "" when every option is valid.
std::string invalid_option(const Options& o) {
  auto value = [](auto v) {
    std::ostringstream s;
    s << std::setprecision(12) << v;
    return s.str();
  };
  if (o.font_scale != 0 && !(o.font_scale >= kMinFontScale && o.font_scale <= kMaxFontScale))
    return "--font-scale " + value(o.font_scale) + ": expected a number from " + value(kMinFontScale) + " to " +
           value(kMaxFontScale) + " (or 0, the default: the monitor's scale)";
  if (o.frames < 1 || o.frames > kMaxFrames)
    return "--frames " + value(o.frames) + ": expected 1 to " + value(kMaxFrames) + " frames";
  if (o.bench_frames < 0 || o.bench_frames > kMaxBenchFrames)
    return "--bench-frames " + value(o.bench_frames) + ": expected 1 to " + value(kMaxBenchFrames) +
           " frames (0, the default, runs no benchmark)";
  if (o.bench_events < 1 || o.bench_events > kMaxBenchEvents)
    return "--bench-events " + value(o.bench_events) + ": expected 1 to " + value(kMaxBenchEvents) +
           " slices (the synthetic trace takes about 170 bytes per slice)";
  if (!(o.max_file_mb > 0 && o.max_file_mb <= kMaxFileMb))
    return "--max-file-mb " + value(o.max_file_mb) + ": expected a size in MiB above 0 and at most " +
           value(kMaxFileMb) + " (1 TiB)";
  if (o.max_events < 1 || o.max_events > kMaxEvents)
    return "--max-events " + value(o.max_events) + ": expected 1 to " + value(kMaxEvents) + " events";
  return "";
}

bool parse_size(const std::string& s, int& w, int& h) {
  return std::sscanf(s.c_str(), "%dx%d", &w, &h) == 2 && w >= 320 && h >= 240 && w <= 16384 && h <= 16384;
}

// Files named on the command line are read before any window opens, so a bad file is reported on stderr
// at once (and a screenshot run fails without needing a display).
std::vector<std::unique_ptr<Document>> load_files(const Options& o, const LoadOptions& lo) {
  std::vector<std::unique_ptr<Document>> docs;
  for (const std::string& f : o.files) {
    docs.push_back(make_document(f, lo));
    const Trace& t = docs.back()->trace;
    for (const std::string& m : t.messages) std::cerr << "warning: " << f << ": " << m << "\n";
    if (t.problems > t.messages.size())
      std::cerr << "warning: " << f << ": " << t.problems << " invalid events dropped in all\n";
  }
  return docs;
}

int run_bench(const Options& o, std::vector<std::unique_ptr<Document>> docs) {
  int w = 0, h = 0;
  parse_size(o.size, w, h);
  if (docs.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    docs.push_back(make_document(make_synthetic_trace(static_cast<uint64_t>(o.bench_events))));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("synthetic trace: %s slices, %s flows, built in %.2f s\n", format_count(docs[0]->trace.slices.size()).c_str(),
                format_count(docs[0]->trace.flows.size()).c_str(), s);
  }
  ImGui::CreateContext();
  AppOptions ao;
  App app(ao);
  app.glyphs = setup_theme(1.0f).glyphs;
  for (size_t i = 0; i < docs.size(); ++i) app.set_document(static_cast<int>(i), std::move(docs[i]));
  size_t slices = 0;
  for (size_t i = 0; i < app.documents(); ++i) slices += app.document(i).trace.slices.size();
  for (const auto& [fraction, what] : {std::pair{1.0, "zoomed out (whole trace)"}, std::pair{1e-3, "middle 1/1000 of the trace"},
                                    std::pair{1e-4, "middle 1/10000 of the trace"}}) {
    const BenchResult r = run_frame_bench(app, o.bench_frames, w, h, fraction);
    std::printf("bench: %s, %s slices, %d frames at %dx%d: mean %.3f ms, p50 %.3f ms, p95 %.3f ms, max %.3f ms per frame "
                "(CPU: UI + draw lists), %ld vertices\n",
                what, format_count(slices).c_str(), r.frames, w, h, r.mean_ms, r.p50_ms, r.p95_ms, r.max_ms, r.vertices);
  }
  ImGui::DestroyContext();
  return 0;
}

// Keeps the OpenGL driver (Mesa's *_dri.so, loaded by the first context) in memory until the process exits.
// glfwTerminate would unload it, and with it the driver's globals that still point at its caches; LeakSanitizer
// then reports those caches as leaked from an address it can no longer name, so no suppression can match them
// (tests/lsan_suppressions.txt). Kept loaded, the driver's memory stays reachable and its frames named.
void keep_gl_driver_loaded() {
  std::vector<std::string> drivers;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const std::string_view name = info->dlpi_name ? info->dlpi_name : "";
        if (name.ends_with("_dri.so")) static_cast<std::vector<std::string>*>(out)->emplace_back(name);
        return 0;
      },
      &drivers);
  for (const std::string& d : drivers) dlopen(d.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);  // no new load
}

struct DropQueue {
  std::vector<std::string> paths;
};

int run_window(const Options& o, std::vector<std::unique_ptr<Document>> docs, const LoadOptions& lo) {
  const bool shot = !o.screenshot.empty();
  double range_a = 0, range_b = 0;
  if (!o.range.empty() && (std::sscanf(o.range.c_str(), "%lf:%lf", &range_a, &range_b) != 2 || !(range_b > range_a))) {
    std::cerr << "error: --range " << o.range << ": expected START:END in ms, START < END (e.g. 1.5:2.25)\n";
    return 1;
  }
  bool pending_range = false;
  int w = 0, h = 0;
  parse_size(o.size, w, h);
  if (!glfwInit()) {
    const char* why = nullptr;
    glfwGetError(&why);
    std::cerr << "error: cannot open a window (" << (why ? why : "GLFW failed to initialise")
              << "); without a display, run it under xvfb-run -a\n";
    return 1;
  }
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GL_TRUE);
  if (shot) glfwWindowHint(GLFW_VISIBLE, GLFW_FALSE);
  std::string title = "qwen3-viewer";
  if (!docs.empty()) title += " - " + docs[0]->title;
  GLFWwindow* window = glfwCreateWindow(w, h, title.c_str(), nullptr, nullptr);
  if (!window) {
    const char* why = nullptr;
    glfwGetError(&why);
    std::cerr << "error: cannot create an OpenGL 3.3 window (" << (why ? why : "unknown") << ")\n";
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  keep_gl_driver_loaded();
  glfwSwapInterval(1);
  DropQueue drops;
  glfwSetWindowUserPointer(window, &drops);
  glfwSetDropCallback(window, [](GLFWwindow* win, int n, const char** paths) {
    auto* q = static_cast<DropQueue*>(glfwGetWindowUserPointer(win));
    for (int i = 0; i < n; ++i) q->paths.emplace_back(paths[i]);
  });

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  float scale = o.font_scale;
  if (scale <= 0) {
    float sx = 1, sy = 1;
    glfwGetWindowContentScale(window, &sx, &sy);
    scale = shot ? 1.0f : std::min(std::max(1.0f, sx), static_cast<float>(kMaxFontScale));
  }
  const Theme theme = setup_theme(scale);
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330 core");

  AppOptions ao;
  ao.load = lo;
  ao.load.strict = false;  // File > Open: load what can be loaded and list what was dropped
  int status = 0;
  {
    App app(ao);
    app.glyphs = theme.glyphs;
    for (size_t i = 0; i < docs.size(); ++i) app.set_document(static_cast<int>(i), std::move(docs[i]));

    if (shot) {
      // Offscreen: exactly w x h pixels, whatever the window system did with the hidden window.
      OffscreenTarget target(w, h);
      for (int f = 0; f < std::max(o.frames, 2); ++f) {
        glfwPollEvents();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGuiIO& io = ImGui::GetIO();
        io.DisplaySize = ImVec2(static_cast<float>(w), static_cast<float>(h));
        io.DisplayFramebufferScale = ImVec2(1, 1);
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);  // no hover in a screenshot
        ImGui::NewFrame();
        app.frame();
        ImGui::Render();
        if (f == 0 && !o.range.empty()) app.view.fit(range_a * 1e6, range_b * 1e6, 0);
        if (f == 0 && !o.select.empty()) {
          // Select after the first frame has laid out the timeline, so centring and fitting use its width.
          if (!app.select_by_name(o.select)) {
            std::cerr << "error: --select " << o.select << ": no slice has that name (or contains it)\n";
            status = 1;
            break;
          }
          if (o.fit) app.fit_selection();
        }
        target.bind();
        glClearColor(0.1f, 0.1f, 0.11f, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        target.unbind();
      }
      if (status == 0) {
        const std::string err = write_png(o.screenshot, w, h, target.read_rgba());
        if (!err.empty()) {
          std::cerr << "error: " << err << "\n";
          status = 1;
        } else {
          std::cerr << "wrote " << o.screenshot << " (" << w << "x" << h << ")\n";
        }
      }
    } else {
      if (!o.range.empty()) {
        app.width_known = false;  // fit once the first frame has measured the track area
        app.pending_fit = 0;
        app.view.fit(range_a * 1e6, range_b * 1e6, 0);
        pending_range = true;
      }
      if (!o.select.empty() && !app.select_by_name(o.select))
        std::cerr << "warning: --select " << o.select << ": no slice has that name\n";
      if (!o.select.empty() && o.fit) app.fit_selection();
      while (!glfwWindowShouldClose(window) && !app.quit_requested()) {
        // Sleep until something happens, unless something is moving (a load, a held navigation key).
        const ImGuiIO& io = ImGui::GetIO();
        bool moving = app.busy();
        for (int k : {int{'W'}, int{'A'}, int{'S'}, int{'D'}, ImGui::GetKeyIndex(ImGuiKey_LeftArrow), ImGui::GetKeyIndex(ImGuiKey_RightArrow)})
          moving = moving || io.KeysDown[k];
        for (bool b : io.MouseDown) moving = moving || b;
        if (moving) glfwPollEvents();
        else glfwWaitEventsTimeout(0.25);
        for (const std::string& p : drops.paths) app.open_path(p, app.documents() > 0 && ImGui::GetIO().KeyShift ? 1 : 0);
        drops.paths.clear();
        ImGui_ImplOpenGL3_NewFrame();
        ImGui_ImplGlfw_NewFrame();
        ImGui::NewFrame();
        app.frame();
        ImGui::Render();
        if (pending_range) {
          app.view.fit(range_a * 1e6, range_b * 1e6, 0);
          pending_range = false;
        }
        int fw = 0, fh = 0;
        glfwGetFramebufferSize(window, &fw, &fh);
        glViewport(0, 0, fw, fh);
        glClearColor(0.1f, 0.1f, 0.11f, 1);
        glClear(GL_COLOR_BUFFER_BIT);
        ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
        glfwSwapBuffers(window);
      }
    }
  }
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"qwen3-viewer: a timeline for Chrome trace-event JSON (ours and PyTorch profiler's); docs/viewer.md"};
  Options o;
  cli.add_option("traces", o.files, "one trace, or two to compare (.json or .json.gz)")->expected(0, 2);
  cli.add_option("--screenshot", o.screenshot, "render offscreen, write this PNG and exit (fails on any invalid event)");
  cli.add_option("--size", o.size, "window / screenshot size WxH")->capture_default_str();
  cli.add_option("--select", o.select, "select the first slice with this name (else containing it)");
  cli.add_flag("--fit", o.fit, "with --select: zoom to the selected slice");
  cli.add_option("--range", o.range, "show START:END, in ms from the trace start (e.g. 1.5:2.25)");
  cli.add_option("--frames", o.frames, "frames rendered before a screenshot (1..1000)")->capture_default_str();
  cli.add_option("--bench-frames", o.bench_frames, "headless: time N frames (1..100000; whole trace, then two zoomed-in views), print mean and p95 ms");
  cli.add_option("--bench-events", o.bench_events, "slices (1..10000000) of the synthetic trace --bench-frames builds when no file is given")
      ->capture_default_str();
  cli.add_option("--write-synthetic", o.write_synthetic, "write the synthetic trace (--bench-events slices) as JSON and exit");
  cli.add_option("--max-file-mb", o.max_file_mb, "refuse files larger than this on disk (above 0, at most 1048576)")->capture_default_str();
  cli.add_option("--max-events", o.max_events, "refuse traces with more events (1..4000000000)")->capture_default_str();
  cli.add_flag("--strict", o.strict, "refuse a trace with any invalid event (default: drop it and warn)");
  cli.add_option("--font-scale", o.font_scale, "UI scale, 0.25..8 (default: the monitor's)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help
    // CLI11's own report is two lines and its own exit code: one line and status 1, like every error here.
    std::cerr << "error: " << e.what() << " (--help lists the options)\n";
    return 1;
  }
  if (const std::string bad = invalid_option(o); !bad.empty()) {
    std::cerr << "error: " << bad << "\n";
    return 1;
  }
  int w = 0, h = 0;
  if (!parse_size(o.size, w, h)) {
    std::cerr << "error: --size " << o.size << ": expected WIDTHxHEIGHT, e.g. 1600x900 (320x240 .. 16384x16384)\n";
    return 1;
  }
  if (!o.screenshot.empty() && o.files.empty()) {
    std::cerr << "error: --screenshot needs a trace file\n";
    return 1;
  }
  try {
    if (!o.write_synthetic.empty()) {
      const std::string text = synthetic_trace_json(static_cast<uint64_t>(o.bench_events));
      FILE* f = std::fopen(o.write_synthetic.c_str(), "wb");
      if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
        std::cerr << "error: cannot write " << o.write_synthetic << "\n";
        return 1;
      }
      std::cerr << "wrote " << o.write_synthetic << " (" << format_bytes(text.size()) << ")\n";
      return 0;
    }
    LoadOptions lo;
    lo.limits.max_file_bytes = static_cast<uint64_t>(o.max_file_mb * 1024 * 1024);
    lo.limits.max_events = static_cast<uint64_t>(o.max_events);
    lo.strict = o.strict || !o.screenshot.empty();
    auto docs = load_files(o, lo);
    if (o.bench_frames > 0) return run_bench(o, std::move(docs));
    return run_window(o, std::move(docs), lo);
  } catch (const qwen3::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory (see --max-events and --max-file-mb)\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
