// mistake: the residual added to the normalised input, x = RMSNorm(x) + block(RMSNorm(x)): the stream must carry x itself past each block, x = x + block(RMSNorm(x))
#include <cstdint>
#include <vector>

#include "exercises/08_layer_loop/layer_loop.h"
#include "ref_cpu/ops.h"

namespace learner {

using qwen3::cpu::add_inplace;
using qwen3::cpu::linear;

// x = embed(ids); per layer: x += o_proj(attn(rope(qk_norm(qkv(RMSNorm(x)))))), x += down(silu(gate(h))·up(h)),
// h = RMSNorm(x); then x = RMSNorm(x) and embedding[b] = x[last of b] / ||x[last of b]||
// c: shapes; w: weights; batch: T tokens, B sequences; returns [B, H]
std::vector<float> forward(const qwen3::ModelConfig& c, const qwen3::HostWeights& w, const qwen3::Batch& batch,
                           const qwen3::cpu::OpTable& ops) {
  const int64_t T = batch.num_tokens(), B = batch.num_sequences();
  const int64_t H = c.hidden_size, I = c.intermediate_size, NH = c.num_attention_heads,
                NKV = c.num_key_value_heads, D = c.head_dim;
  const float eps = static_cast<float>(c.rms_norm_eps);
  const std::vector<int32_t> positions = batch.positions();

  std::vector<float> x(T * H);         // the residual stream
  std::vector<float> xn(T * H);        // RMSNorm(x): what each block reads
  std::vector<float> q(T * NH * D);    // [T, NH, D]
  std::vector<float> k(T * NKV * D);   // [T, NKV, D]
  std::vector<float> v(T * NKV * D);   // [T, NKV, D]
  std::vector<float> att(T * NH * D);  // attention output before o_proj
  std::vector<float> proj(T * H);      // a block's output, added to x
  std::vector<float> gate(T * I), up(T * I);

  // hidden_states = embed_tokens(input_ids)
  qwen3::cpu::embedding_gather(batch.tokens.data(), T, w.embed_tokens.ptr(), H, x.data());

  for (const qwen3::LayerWeights<qwen3::HostTensor>& lw : w.layers) {
    // --- attention block: x = x + o_proj(attn(RMSNorm(x))) ---
    ops.rms_norm(x.data(), lw.input_layernorm.ptr(), T, H, eps, xn.data());
    linear(xn.data(), lw.q_proj.ptr(), T, H, NH * D, q.data());
    linear(xn.data(), lw.k_proj.ptr(), T, H, NKV * D, k.data());
    linear(xn.data(), lw.v_proj.ptr(), T, H, NKV * D, v.data());
    ops.rms_norm(q.data(), lw.q_norm.ptr(), T * NH, D, eps, q.data());  // per head: rows are (token, head)
    ops.rms_norm(k.data(), lw.k_norm.ptr(), T * NKV, D, eps, k.data());
    ops.apply_rope(q.data(), positions.data(), T, NH, D, c.rope_theta);  // after the q/k norms
    ops.apply_rope(k.data(), positions.data(), T, NKV, D, c.rope_theta);
    ops.causal_attention(q.data(), k.data(), v.data(), batch.offsets.data(), B, NH, NKV, D, att.data());
    linear(att.data(), lw.o_proj.ptr(), T, NH * D, H, proj.data());
    add_inplace(xn.data(), proj.data(), T * H);
    x = xn;

    // --- MLP block: x = x + down(silu(gate(h)) · up(h)),  h = RMSNorm(x) ---
    ops.rms_norm(x.data(), lw.post_attention_layernorm.ptr(), T, H, eps, xn.data());
    linear(xn.data(), lw.gate_proj.ptr(), T, H, I, gate.data());
    linear(xn.data(), lw.up_proj.ptr(), T, H, I, up.data());
    ops.silu_mul(gate.data(), up.data(), T * I, gate.data());
    linear(gate.data(), lw.down_proj.ptr(), T, I, H, proj.data());
    add_inplace(xn.data(), proj.data(), T * H);
    x = xn;
  }

  // hidden_states = norm(hidden_states), then last-token pooling and L2 normalisation
  ops.rms_norm(x.data(), w.norm.ptr(), T, H, eps, x.data());
  std::vector<float> embeddings(B * H);
  ops.last_token_pool(x.data(), batch.offsets.data(), B, H, embeddings.data());
  return embeddings;
}

}  // namespace learner
