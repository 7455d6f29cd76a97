// qwen3emb quantize: writes a model (a Hugging Face directory or a GGUF file) as a GGUF file that llama.cpp loads,
// its weight matrices in one of F32, F16, BF16, Q8_0 or Q4_K (core/quant.h), its norms in F32.
//
// Which tensor gets which type (per tensor, as llama.cpp's llama-quantize decides):
//   - 1-D tensors (every RMSNorm weight) stay F32, as llama.cpp keeps them: they are tiny and every value counts.
//   - 2-D tensors (the embedding table and the seven projections of every layer) take --type.
// llama.cpp's Q8_0 does exactly this. Its Q4_K_M and Q4_K_S also raise some tensors above Q4_K (the embedding table,
// which doubles as the output of a tied model, to Q6_K; attn_v and ffn_down of some layers to Q5_K/Q6_K). This
// project's quantisers write Q4_K and Q8_0 only (core/quant.cpp), so --type q4_k is plain Q4_K everywhere: smaller
// than Q4_K_M and a little less accurate. general.file_type then says "Q4_K - Small", the nearest name llama.cpp
// has; llama.cpp only prints it (every tensor carries its own type).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "apps/commands.h"
#include "apps/model_options.h"
#include "core/error.h"
#include "core/gguf_model.h"
#include "core/gguf_write.h"
#include "core/quant.h"

namespace qwen3::cli {

namespace {

struct QuantizeArgs {
  ModelOptions model;  // --model, or --random-weights --config (random weights as bench and quant-eval make them)
  std::string type = "q8_0";
  std::string out;
  std::string name;
};

struct TypeChoice {
  GgmlType weights;
  GgufFileType file_type;
};

TypeChoice parse_type(const std::string& t) {
  if (t == "f32") return {GgmlType::F32, GgufFileType::ALL_F32};
  if (t == "f16") return {GgmlType::F16, GgufFileType::MOSTLY_F16};
  if (t == "bf16") return {GgmlType::BF16, GgufFileType::MOSTLY_BF16};
  if (t == "q8_0") return {GgmlType::Q8_0, GgufFileType::MOSTLY_Q8_0};
  if (t == "q4_k") return {GgmlType::Q4_K, GgufFileType::MOSTLY_Q4_K_S};
  throw InputError("--type: expected q8_0, q4_k, f32, f16 or bf16, not '" + t + "'");
}

void run_quantize(const QuantizeArgs& a) {
  const TypeChoice choice = parse_type(a.type);
  if (a.out.empty()) throw InputError("--out FILE.gguf is required");
  const ModelConfig c = a.model.load_config();
  const Tokenizer tok = a.model.make_tokenizer();
  const std::string model = a.model.describe_source();
  if (tok.vocab_size() > static_cast<size_t>(c.vocab_size))
    throw InputError(model + ": the tokenizer has " + std::to_string(tok.vocab_size()) + " ids but the embedding only " +
                     std::to_string(c.vocab_size) + " rows");
  // Every weight row must be whole blocks of the chosen type: check before reading gigabytes.
  const BlockFormat f = block_format(choice.weights);
  for (const TensorSpec& s : tensor_specs(c))
    if (s.shape.size() == 2 && s.shape.back() % f.block_values != 0)
      throw InputError("--type " + a.type + " stores rows in blocks of " + std::to_string(f.block_values) +
                       " values, but " + s.name + " has rows of " + std::to_string(s.shape.back()) + " (" +
                       describe(c) + "); use f32, f16 or bf16 for this model");
  HostWeights w = a.model.load_host_weights(c);

  std::vector<GgufTensorToWrite> tensors;
  for_each_tensor(c, w, [&](const TensorSpec& s, HostTensor& t) {
    tensors.push_back({gguf_tensor_name(s.name), s.shape.size() == 1 ? GgmlType::F32 : choice.weights, s.shape,
                       t.data.data(), nullptr});
  });
  const std::string name = !a.name.empty()            ? a.name
                           : a.model.random_weights ? "random-" + a.model.preset
                                                    : std::filesystem::path(model).filename().string();
  try {
    write_gguf(a.out, qwen3_gguf_metadata(c, tok, choice.file_type, name), tensors);
  } catch (...) {
    std::remove(a.out.c_str());  // no half-written file left behind
    throw;
  }
  std::cerr << "qwen3emb: wrote " << a.out << " (" << describe(c) << ", weights " << f.name << ", norms F32, "
            << std::filesystem::file_size(a.out) << " bytes)\n";
}

}  // namespace

void add_quantize(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand("quantize", "Write a model as a GGUF file (llama.cpp's format) in F32, F16, BF16, "
                                                 "Q8_0 or Q4_K");
  args->model.add_source_to(*cmd);
  cmd->add_option("--type", args->type, "Type of the weight matrices: q8_0 (default), q4_k, f32, f16 or bf16 (norms stay F32)");
  cmd->add_option("--out", args->out, "The GGUF file to write")->required();
  cmd->add_option("--name", args->name, "general.name in the file (default: the model's folder or file name)");
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace qwen3::cli
