#include "viewer/time_format.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace qwen3::viewer {

namespace {

struct Unit {
  double ns;
  const char* name;
};
constexpr Unit kUnits[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "\xc2\xb5s"}, {1, "ns"}};  // "µs" in UTF-8

// The largest unit not larger than |ns| (ns for anything under a microsecond, including 0).
const Unit& unit_for(double ns) {
  const double a = std::fabs(ns);
  for (const Unit& u : kUnits)
    if (a >= u.ns) return u;
  return kUnits[3];
}

}  // namespace

std::string format_duration(double ns, int digits) {
  const Unit& u = unit_for(ns);
  const double v = ns / u.ns;
  const double a = std::fabs(v);
  // Significant digits: 12.3, 123, 1.23 (never fewer decimals than 0).
  int decimals = digits - (a >= 100 ? 3 : a >= 10 ? 2 : 1);
  if (u.ns == 1) decimals = 0;  // whole nanoseconds
  if (decimals < 0) decimals = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s", decimals, v, u.name);
  return buf;
}

std::string format_duration_exact(Ns ns) {
  const Unit& u = unit_for(static_cast<double>(ns));
  const auto scale = static_cast<Ns>(u.ns);
  if (scale == 1) {
    std::string out = std::to_string(ns);
    out += " ns";
    return out;
  }
  // Integer arithmetic all the way: whole units, then the remainder as a zero-padded fraction with its
  // trailing zeros dropped ("12.345 us", "1.5 ms", "2 s").
  const uint64_t a = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  const auto s = static_cast<uint64_t>(scale);
  std::string out = ns < 0 ? "-" : "";
  out += std::to_string(a / s);
  std::string frac = std::to_string(a % s);
  const size_t width = s == 1000 ? 3 : s == 1000000 ? 6 : 9;
  frac.insert(0, width - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) {
    out += '.';
    out += frac;
  }
  out += ' ';
  out += u.name;
  return out;
}

std::string format_count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_percent(double f) {
  char buf[32];
  const double p = f * 100.0;
  std::snprintf(buf, sizeof buf, p > 0 && p < 0.1 ? "%.2f%%" : "%.1f%%", p);
  return buf;
}

double nice_step(double x) {
  if (!(x > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

Ruler make_ruler(const TimeView& v, double min_label_px) {
  Ruler r;
  r.major_step = std::max(nice_step(min_label_px * v.ns_per_px), 1.0);
  const double step = r.major_step;
  const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const int minors = mantissa < 1.5 || mantissa > 4 ? 5 : 2;  // 1 and 5 split in fifths, 2 in halves
  const double minor = step / minors;
  // Labels: the unit of the visible span, with as many decimals as the step needs.
  const Unit& u = unit_for(v.t1() - v.t0);
  int decimals = static_cast<int>(std::ceil(std::log10(u.ns / step) - 1e-9));
  if (decimals < 0) decimals = 0;
  const double first = std::floor(v.t0 / minor) * minor;
  const double last = v.t1();
  // Long labels (deep zoom far into a long trace): the first major keeps the absolute time, the others
  // say how far they are from it, as Tracy does.
  bool relative = std::fabs(last / u.ns) * std::pow(10.0, decimals) >= 1e7;
  double base = NAN;
  for (long i = 0;; ++i) {
    const double t = first + static_cast<double>(i) * minor;
    if (t > last) break;
    const long k = std::lround(t / minor);
    const bool major = k % minors == 0;
    RulerTick tick{t, major, {}};
    if (major) {
      char buf[64];
      if (!relative || std::isnan(base)) {
        std::snprintf(buf, sizeof buf, "%.*f %s", decimals, t / u.ns, u.name);
        if (relative && t >= v.t0) base = t;  // the first label on screen is the absolute one
      } else {
        const std::string d = format_duration(t - base, 4);
        std::snprintf(buf, sizeof buf, "+%s", d.c_str());
      }
      tick.label = buf;
    }
    r.ticks.push_back(std::move(tick));
    if (r.ticks.size() > 10000) break;  // a degenerate view cannot hang the frame
  }
  return r;
}

}  // namespace qwen3::viewer
