// A Qwen3 model in a GGUF file: its config from the metadata, its tensors under llama.cpp's names mapped to the
// project's weight struct (core/weights.h), and the metadata a GGUF needs for llama.cpp to load it back.
//
//   GGUF (llama.cpp)           Hugging Face / core/weights.h          ggml dims      torch shape
//   token_embd.weight          model.embed_tokens.weight              {H, V}         [V, H]
//   blk.N.attn_norm.weight     model.layers.N.input_layernorm.weight  {H}            [H]
//   blk.N.attn_q.weight        ...self_attn.q_proj.weight             {H, NH*D}      [NH*D, H]
//   blk.N.attn_k.weight        ...self_attn.k_proj.weight             {H, NKV*D}     [NKV*D, H]
//   blk.N.attn_v.weight        ...self_attn.v_proj.weight             {H, NKV*D}     [NKV*D, H]
//   blk.N.attn_output.weight   ...self_attn.o_proj.weight             {NH*D, H}      [H, NH*D]
//   blk.N.attn_q_norm.weight   ...self_attn.q_norm.weight             {D}            [D]
//   blk.N.attn_k_norm.weight   ...self_attn.k_norm.weight             {D}            [D]
//   blk.N.ffn_norm.weight      ...post_attention_layernorm.weight     {H}            [H]
//   blk.N.ffn_gate.weight      ...mlp.gate_proj.weight                {H, I}         [I, H]
//   blk.N.ffn_up.weight        ...mlp.up_proj.weight                  {H, I}         [I, H]
//   blk.N.ffn_down.weight      ...mlp.down_proj.weight                {I, H}         [H, I]
//   output_norm.weight         model.norm.weight                      {H}            [H]
//
// Q and K rows are stored as Hugging Face has them. llama.cpp's converter permutes q_proj/k_proj rows only for
// architectures whose GGUF graph uses the interleaved ("normal", GPT-J) RoPE on weights that Hugging Face had
// permuted for its rotate-half RoPE (LLaMA and its kin: conversion/llama.py's permute). Qwen3's converter class
// derives from Qwen2Model -> TextModel and has no permute, and llama.cpp runs LLM_ARCH_QWEN3 with
// LLAMA_ROPE_TYPE_NEOX (rotate-half, as Hugging Face), so the rows need no un-permuting here (read in llama.cpp's
// conversion/qwen.py and src/llama-model.cpp, llama_model_rope_type).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/gguf.h"
#include "core/weights.h"

namespace qwen3 {

class Tokenizer;

// llama.cpp's name for the tensor the project calls `hf_name` ("model.layers.3.mlp.up_proj.weight" ->
// "blk.3.ffn_up.weight"). InputError for a name outside the table above.
std::string gguf_tensor_name(const std::string& hf_name);

// The config from the metadata (general.architecture "qwen3"; qwen3.block_count, .context_length,
// .embedding_length, .feed_forward_length, .attention.head_count, .attention.head_count_kv,
// .attention.key_length = .value_length (head_dim), .attention.layer_norm_rms_epsilon, .rope.freq_base;
// .pooling_type, when present, must be 3 = last token) and the vocabulary size from the tokenizer, which must
// equal token_embd.weight's rows. FormatError naming the file and the key otherwise.
ModelConfig gguf_model_config(const GgufFile& f);

// Every tensor by its llama.cpp name, its shape checked against the config (ShapeError naming the tensor, the
// expected and the found shape; ShapeError for a missing tensor), dequantised to f32 row by row (dequantize_row).
HostWeights load_gguf_host_weights(const GgufFile& f, const ModelConfig& c);

// llama.cpp's file types (general.file_type): what most of the tensors are.
enum class GgufFileType : uint32_t { ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q8_0 = 7, MOSTLY_Q4_K_S = 14, MOSTLY_BF16 = 32 };

// The metadata llama.cpp needs to load a Qwen3 embedding model: general.*, the qwen3.* hyperparameters,
// pooling type last, and the tokenizer (tokenizer.ggml.*: gpt2/qwen2, tokens, types, merges, <|endoftext|> as eos and
// padding, add_eos_token true so that llama.cpp appends it as this project does).
std::vector<std::pair<std::string, GgufValue>> qwen3_gguf_metadata(const ModelConfig& c, const Tokenizer& tok,
                                                                   GgufFileType file_type, const std::string& name);

}  // namespace qwen3
