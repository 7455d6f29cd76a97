#include "viewer/trace_loader.h"

#include <istream>
#include <sstream>

#include "viewer/chrome_reader.h"
#include "viewer/trace_builder.h"

namespace qwen3::viewer {

Trace load_trace(const std::string& path, const LoadOptions& options, LoadProgress* progress) {
  TraceInput input(path, options.limits, progress);  // IoError / LimitError before anything is read
  std::istream stream(&input);
  TraceBuilder builder(path, options.strict);
  read_chrome_json(stream, builder, options.limits, path);
  Trace t = builder.finish();
  if (progress) progress->done = progress->total.load();
  return t;
}

Trace parse_trace(std::string_view json_text, const std::string& name, const LoadOptions& options) {
  if (json_text.size() > options.limits.max_json_bytes)
    throw LimitError(name + ": " + format_bytes(json_text.size()) + " of JSON, over the viewer's limit of " +
                     format_bytes(options.limits.max_json_bytes));
  std::istringstream stream{std::string(json_text)};
  TraceBuilder builder(name, options.strict);
  read_chrome_json(stream, builder, options.limits, name);
  return builder.finish();
}

}  // namespace qwen3::viewer
