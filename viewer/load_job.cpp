#include "viewer/load_job.h"

#include <chrono>
#include <new>

namespace qwen3::viewer {

LoadJob::LoadJob(std::string path, LoadOptions options, int slot) : path_(std::move(path)), slot_(slot) {
  result_ = std::async(std::launch::async, [this, options] { return make_document(path_, options, &progress_); });
}

LoadJob::~LoadJob() {
  progress_.cancel = true;
  if (result_.valid()) result_.wait();
}

bool LoadJob::done() const {
  return result_.valid() && result_.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

float LoadJob::fraction() const {
  const uint64_t total = progress_.total;
  return total ? static_cast<float>(static_cast<double>(progress_.done) / static_cast<double>(total)) : 0.0f;
}

std::unique_ptr<Document> LoadJob::take(std::string& error) {
  try {
    return result_.get();
  } catch (const std::bad_alloc&) {
    error = path_ + ": out of memory while loading (the file is too large for this machine)";
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

}  // namespace qwen3::viewer
