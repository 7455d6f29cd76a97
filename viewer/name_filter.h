// The statistics window's name filter, instant as in Tracy: case-insensitive substrings, comma-separated;
// a term with a leading '-' excludes. "gemm,attn" keeps names containing either; "layer,-norm" keeps names
// containing "layer" but not "norm"; only exclusions ("-memcpy") keep everything else. Empty keeps all.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace qwen3::viewer {

class NameFilter {
 public:
  NameFilter() = default;
  explicit NameFilter(std::string_view text) { set(text); }
  void set(std::string_view text);
  bool matches(std::string_view name) const;
  bool empty() const { return include_.empty() && exclude_.empty(); }

 private:
  std::vector<std::string> include_, exclude_;  // lower case
};

// Case-insensitive substring test (ASCII).
bool contains_icase(std::string_view haystack, std::string_view needle_lower);

}  // namespace qwen3::viewer
