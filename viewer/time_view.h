// TimeView: the horizontal mapping of the timeline, time <-> pixels, and every way of moving it.
//
// Times here are doubles of nanoseconds relative to an origin (the start of the trace, or of each trace in
// compare mode): a double holds integers exactly up to 2^53 ns (104 days), so no precision is lost, and
// zooming to fractions of a nanosecond per pixel stays smooth. x is in pixels from the left edge of the track
// area.
//     x = (t - t0) / ns_per_px          t = t0 + x * ns_per_px
// Zooming "around the cursor" keeps the time under the cursor fixed: t_of(x) before == t_of(x) after.
#pragma once

namespace qwen3::viewer {

struct TimeView {
  double t0 = 0;             // time at the left edge, ns from the origin
  double ns_per_px = 1000;   // the zoom: nanoseconds per pixel
  double width_px = 1000;    // width of the track area
  double span_ns = 1;        // length of what there is to see (the longest trace): bounds zoom-out and panning

  double x_of(double t) const { return (t - t0) / ns_per_px; }
  double t_of(double x) const { return t0 + x * ns_per_px; }
  double t1() const { return t0 + width_px * ns_per_px; }

  // factor > 1 zooms in. The time under pixel x stays under x (up to clamping at the zoom limits).
  void zoom_at(double x, double factor);
  // Content follows the mouse: dragging right by dx pixels shows earlier times.
  void pan_px(double dx);
  // Shows [a, b] across the width with `margin` (a fraction of the width) on each side.
  void fit(double a, double b, double margin = 0.02);
  // Keeps the zoom between kMinNsPerPx and a whole trace in a tenth of the width, and some of the trace
  // on screen.
  void clamp();

  static constexpr double kMinNsPerPx = 0.01;  // 100 pixels per nanosecond: deeper than any clock resolves
};

// W/S/A/D as in Perfetto: W and S zoom in and out around `anchor_x` (the cursor when it is over the
// timeline, else the centre), A and D pan. Held keys move smoothly: the speed is per second of `dt`, and
// grows the longer the key is held (`held_s`), so a tap nudges and a hold travels.
struct NavKeys {
  bool zoom_in = false, zoom_out = false, left = false, right = false;
};
void keyboard_nav(TimeView& v, const NavKeys& keys, double dt, double held_s, double anchor_x);

}  // namespace qwen3::viewer
