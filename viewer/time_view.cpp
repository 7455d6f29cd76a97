#include "viewer/time_view.h"

#include <algorithm>
#include <cmath>

namespace qwen3::viewer {

void TimeView::clamp() {
  width_px = std::max(width_px, 1.0);
  span_ns = std::max(span_ns, 1.0);
  const double max_ns_per_px = 10.0 * span_ns / width_px;
  ns_per_px = std::clamp(ns_per_px, kMinNsPerPx, std::max(kMinNsPerPx, max_ns_per_px));
  // Keep at least a quarter of the view over [0, span]: never lose the trace off-screen.
  const double w = width_px * ns_per_px;
  t0 = std::clamp(t0, -0.75 * w, span_ns - 0.25 * w);
}

void TimeView::zoom_at(double x, double factor) {
  if (!(factor > 0) || !std::isfinite(factor)) return;
  const double t = t_of(x);
  ns_per_px /= factor;
  clamp();
  t0 = t - x * ns_per_px;  // the anchor stays put, also when clamping changed the zoom
  clamp();
}

void TimeView::pan_px(double dx) {
  t0 -= dx * ns_per_px;
  clamp();
}

void TimeView::fit(double a, double b, double margin) {
  if (b < a) std::swap(a, b);
  const double len = std::max(b - a, 1.0);
  const double usable = std::max(width_px * (1.0 - 2.0 * margin), 1.0);
  ns_per_px = len / usable;
  t0 = a - width_px * margin * ns_per_px;
  clamp();
}

void keyboard_nav(TimeView& v, const NavKeys& k, double dt, double held_s, double anchor_x) {
  if (dt <= 0) return;
  // Speed ramps from 1x to 4x over the first second a key is held.
  const double boost = 1.0 + 3.0 * std::clamp(held_s, 0.0, 1.0);
  // Zoom: a factor of e^(2.5 * boost * dt): about x3.5 per second at first, x22 per second at full speed.
  const double zoom_rate = 2.5 * boost;
  if (k.zoom_in && !k.zoom_out) v.zoom_at(anchor_x, std::exp(zoom_rate * dt));
  if (k.zoom_out && !k.zoom_in) v.zoom_at(anchor_x, std::exp(-zoom_rate * dt));
  // Pan: half a screen width per second at first, two widths per second at full speed.
  const double pan = 0.5 * boost * v.width_px * dt;
  if (k.left && !k.right) v.pan_px(pan);
  if (k.right && !k.left) v.pan_px(-pan);
}

}  // namespace qwen3::viewer
