// Checks of numeric options with the project's one-line messages. CLI11's PositiveNumber says "Value 0 not in range
// 0.000000 to 1797...(300 digits)" and lets a negative seed wrap around in an unsigned option; these say what is
// expected.
#pragma once
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <CLI/CLI.hpp>

namespace qwen3::cli {

// A whole number >= lo (and <= hi): "-5" gives "must be a whole number from 1 to 9223372036854775807, not '-5'".
inline CLI::Validator whole_number(int64_t lo, int64_t hi = INT64_MAX) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        int64_t v = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && end == s.data() + s.size() && v >= lo && v <= hi) return "";
        return "must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not '" + s + "'";
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

// A number from lo to hi, NaN refused: "-1" gives "must be a number from 0 to 10000, not '-1'".
inline CLI::Validator number_in(double lo, double hi) {
  auto text = [](double x) {
    std::string t = std::to_string(x);
    t.erase(t.find_last_not_of('0') + 1);
    if (t.back() == '.') t.pop_back();
    return t;
  };
  const std::string range = text(lo) + " to " + text(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (!s.empty() && *end == '\0' && v >= lo && v <= hi) return "";
        return "must be a number from " + range + ", not '" + s + "'";
      },
      "NUMBER in [" + range + "]");
}

}  // namespace qwen3::cli
