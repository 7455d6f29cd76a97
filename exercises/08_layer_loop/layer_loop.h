// Exercise 08_layer_loop: the function you write, as the tests call it.
#pragma once
#include <vector>

#include "core/batch.h"
#include "core/config.h"
#include "core/weights.h"
#include "ref_cpu/op_table.h"

namespace learner {

// The whole forward pass of Qwen3-Embedding on a packed batch, from token ids to pooled, unit-length embeddings:
//   x = embed_tokens[ids];  for each layer: x += attn(RMSNorm(x)),  x += mlp(RMSNorm(x));
//   x = RMSNorm(x);  embedding[b] = x[last token of b] / ||x[last token of b]||
// The five ops of the table (rms_norm, apply_rope, causal_attention, silu_mul, last_token_pool) are called
// through `ops`; the matrix products, the embedding gather and the residual additions through ref_cpu/ops.h
// (qwen3::cpu::linear, embedding_gather, add_inplace).
// c: the model's shapes; w: its weights; batch: T tokens in B sequences; returns [B, H]
std::vector<float> forward(const qwen3::ModelConfig& c, const qwen3::HostWeights& w, const qwen3::Batch& batch,
                           const qwen3::cpu::OpTable& ops);

}  // namespace learner
