#include "viewer/bench.h"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

namespace qwen3::viewer {

BenchResult run_frame_bench(App& app, int frames, int width, int height, double visible_fraction) {
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize = ImVec2(static_cast<float>(width), static_cast<float>(height));
  io.DeltaTime = 1.0f / 60.0f;
  // What the OpenGL 3 backend declares: draw lists may exceed 64K vertices (split by vertex offset).
  io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;
  unsigned char* pixels = nullptr;
  int w = 0, h = 0;
  io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the font atlas, as a renderer would

  BenchResult r;
  std::vector<double> ms;
  const int warmup = 3;
  for (int i = 0; i < frames + warmup; ++i) {
    // The mouse rests over the middle of the timeline: hover hit-testing and its tooltip are part of the cost.
    io.MousePos = ImVec2(static_cast<float>(width) * (0.45f + 0.1f * static_cast<float>(i % 7) / 7.0f),
                         static_cast<float>(height) * 0.3f);
    if (i == 1) {  // the first frame measured the track area: now set the zoom
      const double span = app.view.span_ns, len = span * visible_fraction;
      app.view.fit(0.5 * (span - len), 0.5 * (span + len), 0);
    }
    const auto t0 = std::chrono::steady_clock::now();
    ImGui::NewFrame();
    app.frame();
    ImGui::Render();
    const auto t1 = std::chrono::steady_clock::now();
    if (i >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  r.frames = static_cast<int>(ms.size());
  if (ms.empty()) return r;
  r.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5));
    return sorted[i];
  };
  r.p50_ms = pct(0.5);
  r.p95_ms = pct(0.95);
  r.max_ms = sorted.back();
  r.vertices = ImGui::GetDrawData() ? ImGui::GetDrawData()->TotalVtxCount : 0;
  return r;
}

}  // namespace qwen3::viewer
