// A model directory in Hugging Face layout: config.json, model.safetensors (or shards + index),
// tokenizer.json. The default one is written by `qwen3emb init-tiny` (core/tiny_model.h).
#pragma once
#include <string>

#include "core/config.h"

namespace qwen3 {

// data/tiny-qwen3 under the project's data folder (QWEN3_DATA_DIR at build time; the environment variable
// QWEN3_DATA_DIR overrides it).
std::string data_dir();
std::string default_model_dir();

// DIR/config.json, parsed. IoError if DIR does not exist or has no config.json.
ModelConfig load_model_config(const std::string& dir);

}  // namespace qwen3
