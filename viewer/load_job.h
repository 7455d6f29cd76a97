// Loading a trace on a worker thread, so that File > Open of a large file keeps the window responsive with
// a progress bar and a Cancel button. The worker owns nothing shared but the LoadProgress atomics; the
// result (a Document, or the error's one-line message) is handed over through a std::future.
#pragma once
#include <future>
#include <memory>
#include <string>

#include "viewer/app.h"
#include "viewer/trace_input.h"

namespace qwen3::viewer {

class LoadJob {
 public:
  LoadJob(std::string path, LoadOptions options, int slot);
  ~LoadJob();  // cancels and waits
  LoadJob(const LoadJob&) = delete;
  LoadJob& operator=(const LoadJob&) = delete;

  bool done() const;
  float fraction() const;  // 0..1 of the file read
  void cancel() { progress_.cancel = true; }
  const std::string& path() const { return path_; }
  int slot() const { return slot_; }
  // After done(): the document, or nullptr with `error` set.
  std::unique_ptr<Document> take(std::string& error);

 private:
  std::string path_;
  int slot_;
  LoadProgress progress_;
  std::future<std::unique_ptr<Document>> result_;
};

}  // namespace qwen3::viewer
