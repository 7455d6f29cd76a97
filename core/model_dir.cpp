#include "core/model_dir.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "core/regular_file.h"

namespace qwen3 {

std::string data_dir() {
  const char* env = std::getenv("QWEN3_DATA_DIR");
  return env && *env ? env : QWEN3_DATA_DIR;
}

std::string default_model_dir() { return data_dir() + "/tiny-qwen3"; }

ModelConfig load_model_config(const std::string& dir) {
  namespace fs = std::filesystem;
  require_directory(dir, "model directory");
  const std::string path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(path)) throw IoError("model directory " + dir + " has no config.json");
  return ModelConfig::from_file(path);
}

}  // namespace qwen3
