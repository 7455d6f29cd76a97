// Times for people: durations with a unit that fits ("850 ns", "12.3 µs", "4.56 ms", "1.23 s") and the
// time ruler's ticks, whose spacing adapts to the zoom (1, 2 or 5 times a power of ten nanoseconds, at
// least `min_px` apart) and whose labels use the unit of the visible span.
#pragma once
#include <string>
#include <vector>

#include "viewer/time_view.h"
#include "viewer/trace.h"

namespace qwen3::viewer {

// `digits` significant digits (at least the integer part): format_duration(12345) = "12.3 µs".
std::string format_duration(double ns, int digits = 3);
// Exact, for the details panel: "12.345 µs" keeps every nanosecond of an integer Ns (trailing zeros dropped).
std::string format_duration_exact(Ns ns);
// "1,234,567": counts with thousands separators.
std::string format_count(uint64_t n);
// "12.5%"
std::string format_percent(double fraction);

struct RulerTick {
  double t;           // ns from the origin
  bool major;         // majors carry a label
  std::string label;  // empty for minor ticks
};

struct Ruler {
  double major_step = 0;  // ns between labelled ticks
  std::vector<RulerTick> ticks;
};

// Ticks for what `v` shows. Majors are at least `min_label_px` apart; four minors split each major step
// (or one for a step of 2).
Ruler make_ruler(const TimeView& v, double min_label_px);

// 1, 2 or 5 times a power of ten: the smallest such value >= x (x > 0).
double nice_step(double x);

}  // namespace qwen3::viewer
