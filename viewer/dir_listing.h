// The File > Open dialog's model: a directory's entries, folders first, then files, each sorted by name,
// hidden entries (".name") left out. With `traces_only`, files are limited to what the viewer opens:
// *.json, *.json.gz, *.gz, *.trace.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qwen3::viewer {

struct DirEntry {
  std::string name;
  bool is_dir = false;
  uint64_t size = 0;
};

// IoError (core/error.h) naming the folder when it cannot be listed.
std::vector<DirEntry> list_directory(const std::string& dir, bool traces_only);
bool looks_like_trace_file(const std::string& name);
// The parent folder ("/a/b" -> "/a", "/" -> "/").
std::string parent_directory(const std::string& dir);

}  // namespace qwen3::viewer
