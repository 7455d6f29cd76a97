// Opening a trace: a file path in, a Trace out, or a typed error whose message names the file and says
// what is wrong with it in one line (core/error.h):
//   IoError      missing file, a directory, unreadable
//   FormatError  not JSON, JSON that is not a trace, an empty trace, corrupt gzip; in strict mode also the
//                first invalid event (negative duration, "E" before "B", no "ts")
//   LimitError   over LoadLimits (file size, decompressed size, whitespace in a row, event count), or a time
//                outside the viewer's range (trace.h, kMaxTimeNs): refused, never an OOM crash or an overflow
// Lenient mode (the default, used by the window) drops invalid events and lists them in Trace::messages;
// strict mode (--screenshot, --strict) refuses the file instead.
#pragma once
#include <string>
#include <string_view>

#include "viewer/trace.h"
#include "viewer/trace_input.h"

namespace qwen3::viewer {

struct LoadOptions {
  LoadLimits limits;
  bool strict = false;
};

Trace load_trace(const std::string& path, const LoadOptions& options = {}, LoadProgress* progress = nullptr);

// The same from JSON text in memory (tests, generated traces); `name` stands for the path in messages.
Trace parse_trace(std::string_view json_text, const std::string& name, const LoadOptions& options = {});

}  // namespace qwen3::viewer
