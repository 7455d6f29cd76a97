#include "core/tiny_model.h"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/regular_file.h"
#include "core/safetensors.h"
#include "core/weights.h"

namespace qwen3 {

namespace fs = std::filesystem;

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 64;          // H
  c.intermediate_size = 192;   // I
  c.num_hidden_layers = 3;     // L
  c.num_attention_heads = 4;   // NH
  c.num_key_value_heads = 2;   // NKV: two query heads per KV head
  c.head_dim = 32;             // D: NH * D = 128 != H
  c.vocab_size = 151669;       // the real Qwen3 vocabulary
  c.max_position_embeddings = 32768;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 1e6;
  c.tie_word_embeddings = true;
  return c;
}

static void write_text(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f || !(f << text)) throw IoError("cannot write " + path.string());
}

void write_tiny_model(const std::string& out_dir, const std::string& tokenizer_dir, uint64_t seed) {
  const fs::path out(out_dir), tok(tokenizer_dir);
  std::error_code exists_ec;
  if (fs::exists(tok, exists_ec)) require_directory(tokenizer_dir, "tokenizer directory");  // absent: "is missing" below
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
    if (!fs::exists(tok / name)) {
      throw IoError("tokenizer file " + (tok / name).string() + " is missing: run scripts/setup.sh first");
    }
    RegularFile((tok / name).string(), "tokenizer file");  // a FIFO or a device is refused before it is copied
  }
  std::error_code ec;
  fs::create_directories(out / "1_Pooling", ec);
  if (!ec) fs::create_directories(out / "2_Normalize", ec);
  if (ec) throw IoError("cannot create " + out_dir + ": " + ec.message());

  const ModelConfig c = tiny_config();
  write_text(out / "config.json", c.to_json().dump(2) + "\n");

  HostWeights w = random_host_weights(c, seed);
  std::vector<TensorToWrite> tensors;
  for_each_tensor(c, w, [&](const TensorSpec& spec, HostTensor& t) {
    tensors.push_back({spec.name, DType::F32, spec.shape, t.ptr()});
  });
  write_safetensors((out / "model.safetensors").string(), tensors,
                    {{"qwen3_embed", "tiny random model, seed " + std::to_string(seed)}});

  // sentence-transformers layout, as Qwen3-Embedding ships: a Transformer module then last-token pooling.
  const nlohmann::json modules = nlohmann::json::array(
      {{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
       {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}},
       {{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}}});
  write_text(out / "modules.json", modules.dump(2) + "\n");
  const nlohmann::json pooling = {{"word_embedding_dimension", c.hidden_size},
                                  {"pooling_mode_cls_token", false},
                                  {"pooling_mode_mean_tokens", false},
                                  {"pooling_mode_max_tokens", false},
                                  {"pooling_mode_mean_sqrt_len_tokens", false},
                                  {"pooling_mode_weightedmean_tokens", false},
                                  {"pooling_mode_lasttoken", true},
                                  {"include_prompt", true}};
  write_text(out / "1_Pooling" / "config.json", pooling.dump(2) + "\n");

  for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(tok / name, out / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw IoError("cannot copy " + (tok / name).string() + " to " + out_dir + ": " + ec.message());
  }
}

}  // namespace qwen3
