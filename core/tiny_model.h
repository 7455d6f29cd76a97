// The embedded default model: a tiny Qwen3 with random weights, written deterministically from a fixed seed
// (same bytes on every machine) in real Hugging Face layout, with the real 151669-token vocabulary.
// Its attention is non-square on purpose (NH * D = 128 != H = 64), as in the real models (16 * 128 != 1024),
// so a backend that assumes head_dim = H / NH fails on it.
#pragma once
#include <cstdint>
#include <string>

#include "core/config.h"

namespace qwen3 {

inline constexpr uint64_t kTinySeed = 20261122;

ModelConfig tiny_config();

// Writes OUT/config.json, OUT/model.safetensors (F32), the sentence-transformers files (modules.json,
// 1_Pooling/config.json: last-token pooling) and copies tokenizer.json + tokenizer_config.json from
// `tokenizer_dir`. IoError if the tokenizer files are missing or OUT cannot be written.
void write_tiny_model(const std::string& out_dir, const std::string& tokenizer_dir, uint64_t seed = kTinySeed);

}  // namespace qwen3
