// --bench-frames: the per-frame CPU cost of building the draw lists, measured without a window or GPU.
//
// Dear ImGui runs headless (a display size, a built font atlas, no renderer): each frame runs the whole UI
// (App::frame: layout, level of detail, hit testing under a fixed mouse position, tooltips, tables) and
// ImGui::Render(), which finalises the draw lists. That is everything the CPU does per frame except handing
// the vertex buffers to OpenGL.
#pragma once
#include "viewer/app.h"

namespace qwen3::viewer {

struct BenchResult {
  int frames = 0;
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, max_ms = 0;
  long vertices = 0;  // in the last frame's draw data
};

// Needs a current ImGui context without a platform/renderer backend; `app` holds the trace(s).
// `visible_fraction` 1 shows the whole trace (zoomed out); 1e-4 of the synthetic million-slice trace shows
// about two layers, where boxes are wide enough to carry names (the most text per frame).
BenchResult run_frame_bench(App& app, int frames, int width, int height, double visible_fraction = 1.0);

}  // namespace qwen3::viewer
