// The bytes of a trace file, plain or gzip-compressed, as a std::streambuf the JSON parser reads from.
//
// zlib's gzread reads both kinds (it looks at the first two bytes, 1f 8b, not at the file name), so a
// "trace.json" that is really gzip and a "trace.json.gz" that is really plain both open. The stream counts
// what it hands out and stops with a LimitError past LoadLimits::max_json_bytes: a 1 MB .gz can inflate to
// gigabytes, and the limit is what keeps such a file from exhausting memory. It also stops at a run of
// whitespace and brackets longer than LoadLimits::max_gap_bytes: the JSON reader buffers such a run whole
// until the next value, so a gzip of a gigabyte of spaces would otherwise cost a gigabyte. It publishes its
// progress (compressed bytes consumed out of the file size) for a loading bar, and stops when asked to cancel.
#pragma once
#include <atomic>
#include <cstdint>
#include <streambuf>
#include <string>
#include <vector>

#include "core/error.h"

namespace qwen3::viewer {

// A file is over one of the viewer's documented limits (docs/viewer.md, "Limits").
class LimitError : public Error {
 public:
  using Error::Error;
};

// Loading stopped because LoadProgress::cancel was set.
class CancelledError : public Error {
 public:
  using Error::Error;
};

struct LoadLimits {
  uint64_t max_file_bytes = uint64_t{2} << 30;  // 2 GiB on disk: larger files are refused before reading
  uint64_t max_json_bytes = uint64_t{4} << 30;  // 4 GiB of JSON text after decompression
  uint64_t max_events = 20'000'000;             // events of any phase (~50 bytes each in memory)
  uint64_t max_gap_bytes = uint64_t{64} << 20;   // 64 MiB of whitespace, brackets, commas, colons in a row
};

// Shared with a loading thread: it writes done/total, the UI reads them; the UI sets cancel.
struct LoadProgress {
  std::atomic<uint64_t> done{0};   // file bytes consumed so far (compressed bytes for a .gz)
  std::atomic<uint64_t> total{0};  // the file's size on disk
  std::atomic<bool> cancel{false};
};

class TraceInput : public std::streambuf {
 public:
  // Opens `path`. IoError if it is missing, a directory or unreadable; LimitError if it is larger than
  // limits.max_file_bytes on disk.
  TraceInput(const std::string& path, const LoadLimits& limits, LoadProgress* progress = nullptr);
  ~TraceInput() override;
  TraceInput(const TraceInput&) = delete;
  TraceInput& operator=(const TraceInput&) = delete;

  uint64_t file_size() const { return file_size_; }
  uint64_t bytes_out() const { return bytes_out_; }  // JSON bytes handed to the parser so far
  bool gzip() const { return gzip_; }

 protected:
  int_type underflow() override;

 private:
  void check_gaps(const char* bytes, size_t n);

  std::string path_;
  void* gz_ = nullptr;  // gzFile, kept out of the header so users need not include zlib.h
  std::vector<char> buf_;
  uint64_t file_size_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t max_json_bytes_ = 0;
  uint64_t max_gap_bytes_ = 0;
  uint64_t gap_run_ = 0;  // whitespace and brackets in a row at the end of what was handed out so far
  bool gzip_ = false;
  LoadProgress* progress_ = nullptr;
};

// "1.5 GiB", "320 MiB", "12 KiB", "800 bytes": sizes in messages.
std::string format_bytes(uint64_t n);

}  // namespace qwen3::viewer
