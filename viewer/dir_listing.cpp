#include "viewer/dir_listing.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "core/error.h"

namespace qwen3::viewer {

namespace fs = std::filesystem;

bool looks_like_trace_file(const std::string& name) {
  auto ends = [&](const char* suffix) {
    const std::string s = suffix;
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".json") || ends(".gz") || ends(".trace") || ends(".JSON");
}

std::vector<DirEntry> list_directory(const std::string& dir, bool traces_only) {
  std::error_code ec;
  fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) throw IoError(dir + ": cannot list the folder (" + ec.message() + ")");
  std::vector<DirEntry> out;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    std::error_code e2;
    const bool is_dir = it->is_directory(e2);
    if (!is_dir && traces_only && !looks_like_trace_file(name)) continue;
    DirEntry d;
    d.name = name;
    d.is_dir = is_dir;
    d.size = is_dir ? 0 : static_cast<uint64_t>(it->file_size(e2));
    if (e2) d.size = 0;
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) {
    if (a.is_dir != b.is_dir) return a.is_dir;
    return a.name < b.name;
  });
  return out;
}

std::string parent_directory(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.has_filename() == false && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  const fs::path parent = p.parent_path();
  return parent.empty() ? p.string() : parent.string();
}

}  // namespace qwen3::viewer
