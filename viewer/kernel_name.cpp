#include "viewer/kernel_name.h"

namespace qwen3::viewer {

namespace {

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string without(std::string_view s, std::string_view part) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, part.size(), part) == 0) {
      i += part.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace

std::string short_kernel_name(std::string_view name) {
  const std::string s = without(name, "(anonymous namespace)::");
  // 1. The parameter list: the first '(' outside template brackets; the name must end with its ')'.
  size_t paren = std::string::npos;
  int depth = 0;
  for (size_t i = 0; i < s.size() && paren == std::string::npos; ++i) {
    if (s[i] == '<') ++depth;
    else if (s[i] == '>' && --depth < 0) return std::string(name);  // "operator>" and the like: leave it
    else if (s[i] == '(' && depth == 0) paren = i;
  }
  if (paren == std::string::npos || s.back() != ')') return std::string(name);
  // 2. The qualified name: after the last space outside template brackets (the return type goes).
  size_t end = paren;
  while (end > 0 && s[end - 1] == ' ') --end;
  size_t begin = 0;
  depth = 0;
  for (size_t i = 0; i < end; ++i) {
    if (s[i] == '<') ++depth;
    else if (s[i] == '>') --depth;
    else if (s[i] == ' ' && depth == 0) begin = i + 1;
  }
  const std::string_view qualified = std::string_view(s).substr(begin, end - begin);
  if (qualified.find("::") == std::string_view::npos) return std::string(name);  // not a C++ signature
  // 3. Every "identifier::" goes, at the top and inside the template arguments.
  std::string out;
  for (size_t i = 0; i < qualified.size();) {
    size_t j = i;
    while (j < qualified.size() && is_ident(qualified[j])) ++j;
    if (j > i && qualified.compare(j, 2, "::") == 0) {
      i = j + 2;  // a qualifier: drop it
    } else if (j > i) {
      out.append(qualified.substr(i, j - i));
      i = j;
    } else {
      out += qualified[i++];
    }
  }
  return out.empty() ? std::string(name) : out;
}

}  // namespace qwen3::viewer
