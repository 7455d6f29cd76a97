// Parsing JSON that comes from outside (config.json, tokenizer.json, safetensors headers and shard indexes) with
// the limits the project promises: nesting deeper than kMaxJsonDepth is refused while parsing (a 100,000-deep
// array would otherwise be built, copied and printed recursively, and overflow the stack), a number too large for
// a double ("1e400") is the file's error like any other, and error messages quote at most a short excerpt.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace qwen3 {

// No file the project reads nests deeper than 4; this leaves room for metadata and refuses adversarial input.
constexpr int kMaxJsonDepth = 64;

// Parses [begin, end) as JSON, or throws FormatError naming `source`: not JSON, a number out of range, or nesting
// deeper than kMaxJsonDepth. `on_event`, when given, also sees every parse event (nlohmann's callback).
template <class Json = nlohmann::json>
Json parse_json(const char* begin, const char* end, const std::string& source,
                typename Json::parser_callback_t on_event = nullptr) {
  const auto limited = [&](int depth, typename Json::parse_event_t event, Json& parsed) {
    if ((event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start) &&
        depth >= kMaxJsonDepth) {
      throw FormatError(source + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return on_event ? on_event(depth, event, parsed) : true;
  };
  try {
    return Json::parse(begin, end, limited);
  } catch (const nlohmann::json::exception& e) {  // syntax errors, and numbers out of range (1e400)
    std::string what = e.what();
    if (what.size() > 200) what = what.substr(0, 200) + "...";
    throw FormatError(source + ": not valid JSON (" + what + ")");
  }
}
inline nlohmann::json parse_json(const std::string& text, const std::string& source) {
  return parse_json<nlohmann::json>(text.data(), text.data() + text.size(), source);
}

// A JSON value as text for an error message: at most `max_chars` characters, "..." when cut.
template <class Json>
std::string json_excerpt(const Json& v, size_t max_chars = 60) {
  std::string s = v.dump();  // bounded recursion: parse_json refused anything deeper than kMaxJsonDepth
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

}  // namespace qwen3
