// Input texts for embed/tokenize: the command-line arguments, or else stdin one text per line.
#pragma once
#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace qwen3::cli {

// The longest line read_lines takes: far beyond any text worth embedding, and a bound on the memory that a stream
// without line ends (stdin from /dev/zero, a binary file) can take before it is refused.
inline constexpr size_t kMaxLineBytes = size_t{64} << 20;

// Lines of `in` without their line ending ("\n" or "\r\n"). InputError for a line over `max_line_bytes`, naming
// `source` and the line.
std::vector<std::string> read_lines(std::istream& in, const std::string& source = "stdin",
                                    size_t max_line_bytes = kMaxLineBytes);
// `args` if any, else the lines of stdin.
std::vector<std::string> texts_from(const std::vector<std::string>& args);

}  // namespace qwen3::cli
