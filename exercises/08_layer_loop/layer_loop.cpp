// Exercise 08_layer_loop — the one file you edit. Statement: exercises/08_layer_loop/README.md.
// Check your answer: qwen3emb exercise check 08_layer_loop
#include "exercises/08_layer_loop/layer_loop.h"

#include <cstdint>
#include <vector>

#include "exercises/common/todo.h"
#include "ref_cpu/ops.h"

namespace learner {

// x = embed(ids); per layer: x += o_proj(attn(rope(qk_norm(qkv(RMSNorm(x)))))), x += down(silu(gate(h))·up(h)),
// h = RMSNorm(x); then x = RMSNorm(x) and embedding[b] = x[last of b] / ||x[last of b]||
// c: shapes; w: weights; batch: T tokens, B sequences; returns [B, H]
std::vector<float> forward(const qwen3::ModelConfig& c, const qwen3::HostWeights& w, const qwen3::Batch& batch,
                           const qwen3::cpu::OpTable& ops) {
  // TODO:
  //   1. scratch buffers: x [T,H] (the residual stream), xn [T,H], q [T,NH,D], k and v [T,NKV,D], att [T,NH,D],
  //      proj [T,H], gate and up [T,I]
  //   2. x = embed_tokens[ids]                                     qwen3::cpu::embedding_gather
  //   3. for each layer of w.layers:
  //        attention block: xn = rms_norm(x); q, k, v = linear(xn, ...); rms_norm per head (rows = T·NH, n = D)
  //                         with q_norm / k_norm; apply_rope with batch.positions(); causal_attention;
  //                         proj = linear(att, o_proj); x += proj
  //        MLP block:       xn = rms_norm(x); gate, up = linear(xn, ...); silu_mul; proj = linear(gate, down_proj);
  //                         x += proj
  //   4. x = rms_norm(x, w.norm); embeddings = last_token_pool(x)
  (void)c, (void)w, (void)batch, (void)ops;
  qwen3::exercises::not_implemented("08_layer_loop", "layer_loop.cpp",
                                    "ref_cpu/cpu_backend.cpp's forward() is the map: norm first, then the op, then "
                                    "add the result to the residual stream x");
}

}  // namespace learner
