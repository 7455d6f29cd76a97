#include "apps/read_texts.h"

#include <iostream>

namespace qwen3::cli {

std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> texts_from(const std::vector<std::string>& args) {
  return args.empty() ? read_lines(std::cin) : args;
}

}  // namespace qwen3::cli
