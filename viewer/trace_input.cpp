#include "viewer/trace_input.h"

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace qwen3::viewer {

namespace fs = std::filesystem;

std::string format_bytes(uint64_t n) {
  char buf[48];
  if (n >= (uint64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(n) / (1u << 30));
  else if (n >= (uint64_t{1} << 20)) std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(n) / (1u << 20));
  else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.0f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  return buf;
}

TraceInput::TraceInput(const std::string& path, const LoadLimits& limits, LoadProgress* progress)
    : path_(path),
      buf_(size_t{1} << 20),
      max_json_bytes_(limits.max_json_bytes),
      max_gap_bytes_(limits.max_gap_bytes),
      progress_(progress) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw IoError(path + ": no such file");
  if (fs::is_directory(st)) throw IoError(path + ": is a directory, not a trace file");
  // A FIFO or a device (/dev/zero) is refused before it is opened: its open or its reads could wait or never end.
  if (!fs::is_regular_file(st)) throw IoError(path + ": is not a regular file (a FIFO, a device or a socket), not a trace file");
  file_size_ = fs::file_size(path, ec);
  if (ec) throw IoError(path + ": cannot read its size (" + ec.message() + ")");
  // Refuse before reading a byte: the size on disk is known, and a file over the limit would take minutes
  // to parse and gigabytes to hold.
  if (file_size_ > limits.max_file_bytes)
    throw LimitError(path + ": the file is " + format_bytes(file_size_) + ", over the viewer's limit of " +
                     format_bytes(limits.max_file_bytes) + " (--max-file-mb raises it; docs/viewer.md, Limits)");
  // Peek at the magic bytes to say "gzip" in messages; gzread itself handles both kinds.
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    unsigned char magic[2] = {0, 0};
    gzip_ = std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    std::fclose(f);
  } else {
    throw IoError(path + ": cannot open for reading");
  }
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw IoError(path + ": cannot open for reading");
  gzbuffer(gz, 1u << 18);
  gz_ = gz;
  if (progress_) {
    progress_->total = file_size_;
    progress_->done = 0;
  }
}

TraceInput::~TraceInput() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

namespace {

// zlib's messages start with the file name ("t.json.gz: unexpected end of file"): ours already does.
std::string gz_message(const char* msg, const std::string& path) {
  std::string m = msg ? msg : "unknown error";
  if (m.rfind(path + ": ", 0) == 0) m.erase(0, path.size() + 2);
  return m;
}

// Whitespace and the JSON punctuation between values: what nlohmann's lexer keeps buffering (for its error
// messages) until the next string, number or literal starts.
constexpr bool is_gap_byte(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '[' || c == ']' || c == '{' || c == '}' ||
         c == ',' || c == ':';
}

}  // namespace

// Counts whitespace and brackets in a row across reads and throws a LimitError past max_gap_bytes_: the JSON
// reader holds such a run whole in memory, whatever the limits on the file size and the events. (Spaces inside
// a string count too: such a string is held whole as well.) One pass, a few percent of the parse's time.
void TraceInput::check_gaps(const char* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    gap_run_ = is_gap_byte(bytes[i]) ? gap_run_ + 1 : 0;
    if (gap_run_ > max_gap_bytes_)
      throw LimitError(path_ + ": more than " + format_bytes(max_gap_bytes_) +
                       " of whitespace and brackets in a row (at byte " + std::to_string(bytes_out_ + i + 1) +
                       " of the JSON), over the viewer's limit of " + format_bytes(max_gap_bytes_) +
                       ": the JSON reader would hold it all in memory (docs/viewer.md, Limits)");
  }
}

TraceInput::int_type TraceInput::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (progress_ && progress_->cancel) throw CancelledError(path_ + ": loading cancelled");
  gzFile gz = static_cast<gzFile>(gz_);
  const int n = gzread(gz, buf_.data(), static_cast<unsigned>(buf_.size()));
  if (n < 0) {
    int errnum = 0;
    const char* msg = gzerror(gz, &errnum);
    throw FormatError(path_ + ": " + (gzip_ ? "corrupt gzip data: " : "read error: ") + gz_message(msg, path_));
  }
  if (n == 0) {
    // gzread returns 0 both at a clean end and at a truncated gzip stream; only gzerror tells them apart.
    int errnum = 0;
    const char* msg = gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END)
      throw FormatError(path_ + ": corrupt gzip data: " + gz_message(msg, path_));
    return traits_type::eof();
  }
  check_gaps(buf_.data(), static_cast<size_t>(n));
  bytes_out_ += static_cast<uint64_t>(n);
  if (bytes_out_ > max_json_bytes_)
    throw LimitError(path_ + ": more than " + format_bytes(max_json_bytes_) +
                     " of JSON after decompression, over the viewer's limit (docs/viewer.md, Limits)");
  if (progress_) progress_->done = gzip_ ? static_cast<uint64_t>(gzoffset(gz)) : bytes_out_;
  setg(buf_.data(), buf_.data(), buf_.data() + n);
  return traits_type::to_int_type(*gptr());
}

}  // namespace qwen3::viewer
