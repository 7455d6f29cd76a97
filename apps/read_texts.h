// Input texts for embed/tokenize: the command-line arguments, or else stdin one text per line.
#pragma once
#include <istream>
#include <string>
#include <vector>

namespace qwen3::cli {

// Lines of `in` without their line ending ("\n" or "\r\n").
std::vector<std::string> read_lines(std::istream& in);
// `args` if any, else the lines of stdin.
std::vector<std::string> texts_from(const std::vector<std::string>& args);

}  // namespace qwen3::cli
