#include "apps/read_texts.h"

#include <cstring>
#include <iostream>

#include "core/error.h"

namespace qwen3::cli {

std::vector<std::string> read_lines(std::istream& in, const std::string& source, size_t max_line_bytes) {
  std::vector<std::string> lines;
  std::string line;
  bool in_line = false;  // bytes read since the last '\n'
  const auto end_line = [&] {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    line.clear();
    in_line = false;
  };
  // Block by block rather than std::getline, so that a stream without line ends is refused at the limit instead
  // of filling memory.
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto got = static_cast<size_t>(in.gcount());
    for (size_t i = 0; i < got;) {
      const auto* nl = static_cast<const char*>(std::memchr(buf + i, '\n', got - i));
      const size_t end = nl ? static_cast<size_t>(nl - buf) : got;
      line.append(buf + i, end - i);
      in_line = true;
      if (line.size() > max_line_bytes) {
        throw InputError(source + ": line " + std::to_string(lines.size() + 1) + " is longer than " +
                         std::to_string(max_line_bytes >> 20) + " MiB (one text per line expected)");
      }
      if (nl) end_line();
      i = end + 1;
    }
  }
  if (in_line) end_line();
  return lines;
}

std::vector<std::string> texts_from(const std::vector<std::string>& args) {
  return args.empty() ? read_lines(std::cin) : args;
}

}  // namespace qwen3::cli
