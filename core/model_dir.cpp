#include "core/model_dir.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/error.h"
#include "core/gguf.h"
#include "core/gguf_model.h"
#include "core/regular_file.h"
#include "core/safetensors.h"

namespace qwen3 {

namespace fs = std::filesystem;

std::string data_dir() {
  const char* env = std::getenv("QWEN3_DATA_DIR");
  return env && *env ? env : QWEN3_DATA_DIR;
}

std::string default_model_dir() { return data_dir() + "/tiny-qwen3"; }

std::string gguf_file_of(const std::string& model) {
  std::error_code ec;
  if (!fs::exists(model, ec)) throw IoError("model directory " + model + " does not exist");
  // A regular file is read as GGUF (GgufFile says so if it is not one); a device, FIFO or socket is refused here.
  if (fs::is_regular_file(model, ec)) return model;
  require_directory(model, "model directory");
  if (fs::exists(fs::path(model) / "config.json", ec)) return "";
  std::vector<std::string> found;
  for (const fs::directory_entry& e : fs::directory_iterator(model, ec))
    if (e.path().extension() == ".gguf" && e.is_regular_file(ec)) found.push_back(e.path().string());
  if (found.empty()) throw IoError("model directory " + model + " has no config.json (and no .gguf file)");
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    throw IoError("model directory " + model + " has no config.json and " + std::to_string(found.size()) +
                  " .gguf files (" + fs::path(found[0]).filename().string() + ", " +
                  fs::path(found[1]).filename().string() + (found.size() > 2 ? ", ..." : "") +
                  "): pass one with --model FILE.gguf");
  }
  return found[0];
}

ModelConfig load_model_config(const std::string& model) {
  const std::string gguf = gguf_file_of(model);
  if (!gguf.empty()) return gguf_model_config(GgufFile(gguf));
  return ModelConfig::from_file((fs::path(model) / "config.json").string());
}

HostWeights load_model_weights(const std::string& model, const ModelConfig& c) {
  const std::string gguf = gguf_file_of(model);
  if (!gguf.empty()) return load_gguf_host_weights(GgufFile(gguf), c);
  return load_host_weights(SafetensorsCheckpoint(model), c);
}

Tokenizer load_model_tokenizer(const std::string& model) {
  const std::string gguf = gguf_file_of(model);
  if (!gguf.empty()) return Tokenizer::from_gguf(GgufFile(gguf));
  return Tokenizer::from_dir(model);
}

}  // namespace qwen3
