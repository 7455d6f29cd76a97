#include "viewer/name_filter.h"

#include <algorithm>
#include <cctype>

namespace qwen3::viewer {

bool contains_icase(std::string_view h, std::string_view n) {
  if (n.empty()) return true;
  auto it = std::search(h.begin(), h.end(), n.begin(), n.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == b;
  });
  return it != h.end();
}

void NameFilter::set(std::string_view text) {
  include_.clear();
  exclude_.clear();
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    std::string term(text.substr(i, j - i));
    // trim spaces at both ends
    term.erase(0, term.find_first_not_of(' '));
    term.erase(term.find_last_not_of(' ') + 1);
    bool exclude = !term.empty() && term[0] == '-';
    if (exclude) term.erase(0, 1);
    for (char& c : term) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!term.empty()) (exclude ? exclude_ : include_).push_back(term);
    i = j + 1;
  }
}

bool NameFilter::matches(std::string_view name) const {
  for (const std::string& e : exclude_)
    if (contains_icase(name, e)) return false;
  if (include_.empty()) return true;
  for (const std::string& in : include_)
    if (contains_icase(name, in)) return true;
  return false;
}

}  // namespace qwen3::viewer
