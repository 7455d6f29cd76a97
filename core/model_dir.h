// Where a model comes from: a directory in Hugging Face layout (config.json, model.safetensors or shards + index,
// tokenizer.json), or a GGUF file (config, tokenizer and tensors in one file: core/gguf_model.h), given as the file
// or as a directory without config.json that holds exactly one .gguf. The default model is written by
// `qwen3emb init-tiny` (core/tiny_model.h).
#pragma once
#include <string>

#include "core/config.h"
#include "core/tokenizer.h"
#include "core/weights.h"

namespace qwen3 {

// data/tiny-qwen3 under the project's data folder (QWEN3_DATA_DIR at build time; the environment variable
// QWEN3_DATA_DIR overrides it).
std::string data_dir();
std::string default_model_dir();

// The GGUF file that `model` names (the file itself, or the one .gguf of a directory without config.json), or ""
// when `model` is a Hugging Face directory. IoError if it does not exist, or a directory without config.json holds
// no .gguf or several.
std::string gguf_file_of(const std::string& model);

// The model's config: DIR/config.json parsed, or a GGUF file's metadata. IoError if it does not exist or has
// neither; FormatError for a malformed one.
ModelConfig load_model_config(const std::string& model);
// The model's weights in f32, checked against `c` (safetensors converted, GGUF dequantised).
HostWeights load_model_weights(const std::string& model, const ModelConfig& c);
// The model's tokenizer: DIR/tokenizer.json, or the GGUF file's tokenizer.ggml.* metadata.
Tokenizer load_model_tokenizer(const std::string& model);

}  // namespace qwen3
