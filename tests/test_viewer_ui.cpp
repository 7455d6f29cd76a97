// The viewer's window driven headless: Dear ImGui runs without a platform or renderer (a display size and
// a font atlas are all it needs), the test plays mouse and keyboard input into it frame by frame, and
// checks what the App did: a click selects the slice under it, the wheel zooms around the cursor, a drag
// pans, a drag on the ruler measures, W/S/A/D/F/Home/Esc act, File > Open of a bad file leaves the viewer
// running with a message, a second file turns on compare mode.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "test_util.h"

#ifdef QWEN3_VIEWER_UI
#include <imgui.h>

#include "viewer/app.h"
#include "viewer/theme.h"

namespace qwen3::viewer {
namespace {

std::string fixture(const std::string& name) { return test::test_data("traces/" + name); }

// GLFW key codes the GLFW backend would map (letters are their ASCII upper case).
constexpr int kHome = 268, kEscape = 256, kLeft = 263, kRight = 262;

class Ui : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    app = std::make_unique<App>(AppOptions{});
    app->glyphs = setup_theme(1.0f).glyphs;
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1600, 900);
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
    io.KeyMap[ImGuiKey_Home] = kHome;
    io.KeyMap[ImGuiKey_Escape] = kEscape;
    io.KeyMap[ImGuiKey_LeftArrow] = kLeft;
    io.KeyMap[ImGuiKey_RightArrow] = kRight;
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  void TearDown() override {
    app.reset();
    ImGui::DestroyContext();
  }
  void frame(int n = 1) {
    for (int i = 0; i < n; ++i) {
      ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
      ImGui::NewFrame();
      app->frame();
      ImGui::Render();
      ImGui::GetIO().MouseWheel = 0;
    }
  }
  void load(const std::string& name, int slot = 0) {
    app->set_document(slot, make_document(fixture(name), {}));
    frame(2);  // the first frame measures the timeline and fits the view
  }
  void mouse(float x, float y) { ImGui::GetIO().MousePos = ImVec2(x, y); }
  void click(float x, float y) {
    mouse(x, y);
    frame();
    ImGui::GetIO().MouseDown[0] = true;
    frame();
    ImGui::GetIO().MouseDown[0] = false;
    frame();
  }
  // Screen position of a slice's middle (x clamped inside it) on the timeline.
  ImVec2 where(uint32_t slice, int source = 0) {
    const Trace& t = app->document(static_cast<size_t>(source)).trace;
    const Slice& s = t.slices[slice];
    const double o = app->origins[static_cast<size_t>(source)];
    const double mid = app->view.x_of((static_cast<double>(s.start) + static_cast<double>(s.end())) * 0.5 - o);
    const float y = app->layout.row_y(static_cast<size_t>(source), s.track, s.depth, app->metrics);
    return ImVec2(app->screen_area_x + static_cast<float>(mid), app->screen_tracks_y + y + app->metrics.row_h * 0.5f);
  }
  uint32_t find(const std::string& name, int source = 0) {
    const Trace& t = app->document(static_cast<size_t>(source)).trace;
    for (uint32_t i = 0; i < t.slices.size(); ++i)
      if (t.name(t.slices[i]) == name) return i;
    return kNone;
  }
  void wait_for_load() {
    for (int i = 0; i < 500 && app->busy(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      frame();
    }
    frame();
  }

  std::unique_ptr<App> app;
};

TEST_F(Ui, ClickSelectsTheSliceUnderTheMouse) {
  load("forward_gpu.json");
  const uint32_t sync = find("cudaDeviceSynchronize");  // a wide host slice
  ASSERT_NE(sync, kNone);
  const ImVec2 p = where(sync);
  click(p.x, p.y);
  ASSERT_TRUE(app->selection().valid());
  EXPECT_EQ(app->selection().slice, sync);
  // A click on empty track space clears it; Esc too.
  click(p.x, p.y + app->metrics.row_h * 3);
  EXPECT_FALSE(app->selection().valid());
  click(p.x, p.y);
  EXPECT_TRUE(app->selection().valid());
  ImGui::GetIO().KeysDown[kEscape] = true;
  frame();
  ImGui::GetIO().KeysDown[kEscape] = false;
  frame();
  EXPECT_FALSE(app->selection().valid());
}

TEST_F(Ui, WheelZoomsAroundTheCursorAndDragPans) {
  load("forward_gpu.json");
  const ImVec2 p = where(find("forward"));
  const float x = p.x - 200;
  mouse(x, p.y);
  frame();
  const double npp = app->view.ns_per_px;
  const double t_under = app->view.t_of(x - app->screen_area_x);
  ImGui::GetIO().MouseWheel = 2;  // two notches in
  frame();
  EXPECT_NEAR(app->view.ns_per_px, npp / 1.5625, npp * 1e-9);
  EXPECT_NEAR(app->view.t_of(x - app->screen_area_x), t_under, 1.0);
  // Drag 100 px to the right: earlier times come into view.
  const double t0 = app->view.t0, zoom = app->view.ns_per_px;
  ImGui::GetIO().MouseDown[0] = true;
  frame();
  for (int i = 1; i <= 10; ++i) {
    mouse(x + 10.0f * static_cast<float>(i), p.y);
    frame();
  }
  ImGui::GetIO().MouseDown[0] = false;
  frame();
  EXPECT_NEAR(app->view.t0, t0 - 100 * zoom, zoom * 3);  // the first few pixels wait for the drag threshold
  EXPECT_FALSE(app->selection().valid());  // a drag is not a click
}

TEST_F(Ui, KeyboardNavigation) {
  load("forward_gpu.json");
  mouse(800, 400);
  frame();
  const double npp = app->view.ns_per_px;
  ImGui::GetIO().KeysDown['W'] = true;
  frame(10);
  ImGui::GetIO().KeysDown['W'] = false;
  frame();
  EXPECT_LT(app->view.ns_per_px, npp * 0.8);
  const double t0 = app->view.t0;
  ImGui::GetIO().KeysDown['D'] = true;
  frame(5);
  ImGui::GetIO().KeysDown['D'] = false;
  frame();
  EXPECT_GT(app->view.t0, t0);
  // Home fits everything again.
  ImGui::GetIO().KeysDown[kHome] = true;
  frame();
  ImGui::GetIO().KeysDown[kHome] = false;
  frame();
  EXPECT_NEAR(app->view.ns_per_px, npp, npp * 1e-6);
  // F fits the selection.
  const uint32_t q = find("layer 2 / attention / q_proj");
  app->select(0, q, false);
  ImGui::GetIO().KeysDown['F'] = true;
  frame();
  ImGui::GetIO().KeysDown['F'] = false;
  frame();
  const Slice& s = app->document(0).trace.slices[q];
  const double a = static_cast<double>(s.start) - app->origins[0], b = static_cast<double>(s.end()) - app->origins[0];
  EXPECT_GE(a, app->view.t0);
  EXPECT_LE(b, app->view.t1());
  EXPECT_GT((b - a) / (app->view.t1() - app->view.t0), 0.7);
}

TEST_F(Ui, DragOnTheRulerMeasures) {
  load("forward_gpu.json");
  const float y = app->screen_ruler_y + app->screen_ruler_h * 0.5f;
  const float x0 = app->screen_area_x + 100, x1 = app->screen_area_x + 500;
  mouse(x0, y);
  frame();
  ImGui::GetIO().MouseDown[0] = true;
  frame();
  for (int i = 1; i <= 8; ++i) {
    mouse(x0 + (x1 - x0) * static_cast<float>(i) / 8, y);
    frame();
  }
  ImGui::GetIO().MouseDown[0] = false;
  frame();
  ASSERT_TRUE(app->interval.active);
  EXPECT_NEAR(app->interval.b - app->interval.a, 400 * app->view.ns_per_px, app->view.ns_per_px);
  ASSERT_EQ(app->interval_busy.size(), 1u);
  ASSERT_EQ(app->interval_busy[0].size(), 3u);  // main thread, stream 7, the copy stream
  for (const TrackBusy& b : app->interval_busy[0]) {
    EXPECT_GE(b.fraction, 0.0);
    EXPECT_LE(b.fraction, 1.0);
  }
  // A click on the ruler clears it.
  click(x0, y);
  EXPECT_FALSE(app->interval.active);
}

TEST_F(Ui, ProcessHeaderFoldsAndHighlightFindsEverySlice) {
  load("forward_gpu.json");
  const LayoutItem& header = app->layout.items[0];
  ASSERT_EQ(header.kind, ItemKind::Process);
  const size_t items = app->layout.items.size();
  click(app->screen_area_x + 300, app->screen_tracks_y + header.y + header.h * 0.5f);
  EXPECT_TRUE(app->folds.is_folded(0, 0));
  frame();  // the next frame lays out without the folded tracks
  EXPECT_LT(app->layout.items.size(), items);
  app->set_highlight({"gemm_naive_f32"}, false, false);
  EXPECT_EQ(app->highlight.count, 28u);  // 7 gemms x 4 layers
  app->set_highlight({"layer * / attention / q_proj"}, true, false);
  EXPECT_EQ(app->highlight.count, 4u);
  app->set_highlight({"gemm"}, false, true);  // by category
  EXPECT_EQ(app->highlight.count, 28u);
  frame(2);  // and it draws
}

TEST_F(Ui, OpenErrorsKeepTheViewerRunningAndASecondTraceCompares) {
  load("forward_gpu.json");
  app->open_path(fixture("not_json.txt"), 0);
  wait_for_load();
  EXPECT_NE(app->error().find("not JSON"), std::string::npos) << app->error();
  EXPECT_EQ(app->documents(), 1u);  // the trace it had is still there
  app->open_path(fixture("no_such_file.json"), 0);
  wait_for_load();
  EXPECT_NE(app->error().find("no such file"), std::string::npos) << app->error();
  app->open_path(fixture("forward_gpu_opt.json"), 1);
  wait_for_load();
  EXPECT_TRUE(app->error().empty()) << app->error();
  ASSERT_EQ(app->documents(), 2u);
  // Starts aligned on each trace's first "forward".
  for (size_t d = 0; d < 2; ++d) {
    const Trace& t = app->document(d).trace;
    EXPECT_DOUBLE_EQ(app->origins[d], static_cast<double>(t.slices[find("forward", static_cast<int>(d))].start));
  }
  // Both stacked: a trace header each.
  int headers = 0;
  for (const LayoutItem& it : app->layout.items) headers += it.kind == ItemKind::Trace;
  EXPECT_EQ(headers, 2);
  // A click in trace B selects in trace B.
  const uint32_t sync = find("cudaDeviceSynchronize", 1);
  const ImVec2 p = where(sync, 1);
  click(p.x, p.y);
  ASSERT_TRUE(app->selection().valid());
  EXPECT_EQ(app->selection().source, 1);
  EXPECT_EQ(app->selection().slice, sync);
}

TEST_F(Ui, HoveringAnywhereIsSafe) {
  // Not a benchmark: every hover position must be safe (tooltips of merged boxes, instants, headers).
  app->set_document(0, make_document(fixture("every_phase.json"), {}));
  frame(2);
  for (float y = 60; y < 520; y += 7)
    for (float x = 0; x < 1600; x += 53) {
      mouse(x, y);
      frame();
    }
  SUCCEED();
}

}  // namespace
}  // namespace qwen3::viewer

#else

TEST(ViewerUi, Skipped) {
  if (qwen3::test::strict()) FAIL() << "the viewer's UI library was not built (QWEN3_STRICT=1): install libimgui-dev libglfw3-dev";
  GTEST_SKIP() << "the viewer's UI library was not built: Dear ImGui or GLFW not found at configure time";
}

#endif
