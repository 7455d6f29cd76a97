// File > Open: a small ImGui dialog of our own (path field + folder listing), so the viewer needs no
// platform file chooser. Typing a folder path and Enter goes there; a file path and Enter opens it; a
// double-click on a folder enters it, on a file opens it. "Open as" chooses between replacing the trace and
// adding it as the second trace of compare mode. The listing comes from dir_listing.h.
#pragma once
#include <string>
#include <vector>

#include "viewer/dir_listing.h"
#include "viewer/theme.h"

namespace qwen3::viewer {

class FileDialog {
 public:
  explicit FileDialog(std::string start_dir);
  void open(int slot);  // slot 0: replace the trace; 1: open as the second (compared) trace
  // Draws the dialog while it is open. Returns true once, with `path` and `slot`, when a file was chosen.
  bool draw(std::string& path, int& slot, const Glyphs& glyphs);

 private:
  void go(const std::string& dir);

  std::string dir_;
  char path_buf_[2048] = {};
  std::vector<DirEntry> entries_;
  std::string list_error_;
  bool open_request_ = false;
  bool traces_only_ = true;
  int slot_ = 0;
  int selected_ = -1;
};

}  // namespace qwen3::viewer
