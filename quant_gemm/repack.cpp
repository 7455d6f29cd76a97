#include "quant_gemm/repack.h"

#include <cstring>
#include <string>

#include "core/error.h"
#include "core/gguf_model.h"
#include "core/safetensors.h"  // f16_to_f32

namespace qwen3::quant_gemm {

// Block b of a Q8_0 row: [f16 d][32 × int8] (34 bytes)  ->  scales[b] = d,  codes[32b .. 32b+31] = the 32 int8.
SplitQ8_0 split_q8_0(const uint8_t* rows, int64_t N, int64_t K) {
  if (N < 0 || K <= 0 || K % 32 != 0)
    throw InputError("split_q8_0: needs N >= 0 and K a positive multiple of 32, not N=" + std::to_string(N) +
                     " K=" + std::to_string(K));
  const int64_t blocks = N * (K / 32);
  SplitQ8_0 out;
  out.codes.resize(static_cast<size_t>(N * K));
  out.scales.resize(static_cast<size_t>(blocks));
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = rows + b * 34;
    out.scales[b] = f16_to_f32(static_cast<uint16_t>(block[0] | (block[1] << 8)));
    std::memcpy(out.codes.data() + b * 32, block + 2, 32);
  }
  return out;
}

const char* projection_name(Projection p) {
  switch (p) {
    case Projection::kQkv: return "qkv";
    case Projection::kO: return "o";
    case Projection::kGateUp: return "gate_up";
    case Projection::kDown: return "down";
  }
  return "?";
}

std::vector<QuantProjection> quantised_projections(const GgufFile& f, const ModelConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, Q = c.q_dim(), KV = c.kv_dim();
  struct Part {
    std::string hf_name;
    int64_t rows, in;
  };
  std::vector<QuantProjection> out;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const std::pair<Projection, std::vector<Part>> groups[] = {
        {Projection::kQkv, {{p + "self_attn.q_proj.weight", Q, H}, {p + "self_attn.k_proj.weight", KV, H},
                            {p + "self_attn.v_proj.weight", KV, H}}},
        {Projection::kO, {{p + "self_attn.o_proj.weight", H, Q}}},
        {Projection::kGateUp, {{p + "mlp.gate_proj.weight", I, H}, {p + "mlp.up_proj.weight", I, H}}},
        {Projection::kDown, {{p + "mlp.down_proj.weight", H, I}}}};
    for (const auto& [which, parts] : groups) {
      std::vector<const GgufTensor*> t;
      for (const Part& part : parts) {
        const std::string name = gguf_tensor_name(part.hf_name);
        const GgufTensor* x = f.find_tensor(name);
        if (x == nullptr) throw ShapeError(f.path() + ": tensor '" + name + "' is missing");
        if (x->shape() != std::vector<int64_t>{part.rows, part.in})
          throw ShapeError(f.path() + ": tensor '" + name + "' has shape " + shape_str(x->shape()) +
                           " but the config needs " + shape_str({part.rows, part.in}));
        t.push_back(x);
      }
      const GgmlType type = t[0]->type;
      if (type != GgmlType::Q8_0 && type != GgmlType::Q4_K) continue;
      bool same = true;
      for (const GgufTensor* x : t) same = same && x->type == type;
      if (!same) continue;
      QuantProjection q;
      q.layer = l, q.which = which, q.type = type, q.in = parts[0].in;
      for (const Part& part : parts) q.rows += part.rows;
      const int64_t rb = row_bytes(type, q.in);
      std::vector<uint8_t> bytes(static_cast<size_t>(q.rows * rb));
      if (which == Projection::kGateUp) {  // gate row i -> row 2i, up row i -> row 2i + 1
        for (int64_t i = 0; i < I; ++i)
          for (size_t k = 0; k < 2; ++k)
            std::memcpy(bytes.data() + (2 * i + int64_t(k)) * rb, t[k]->data + i * rb, static_cast<size_t>(rb));
      } else {  // stacked
        size_t at = 0;
        for (const GgufTensor* x : t) {
          std::memcpy(bytes.data() + at, x->data, x->nbytes);
          at += x->nbytes;
        }
      }
      if (type == GgmlType::Q8_0) {
        SplitQ8_0 split = split_q8_0(bytes.data(), q.rows, q.in);
        q.bytes.assign(split.codes.begin(), split.codes.end());
        q.scales = std::move(split.scales);
      } else {
        q.bytes = std::move(bytes);
      }
      out.push_back(std::move(q));
    }
  }
  return out;
}

}  // namespace qwen3::quant_gemm
