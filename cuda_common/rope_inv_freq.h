// RoPE's inverse frequencies for the GPU backends: a small table computed once on the host, exactly as
// ref_cpu/ops.cpp's apply_rope computes it, then uploaded; both cuda_naive's and cuda_opt's RoPE kernels read it.
// Computed on the host rather than in a kernel because CUDA's powf may differ from glibc's by an ulp.
#pragma once
#include <cstdint>
#include <vector>

namespace qwen3 {

// inv_freq[i] = 1 / theta^(2i/D) in fp32, i < D/2 (Hugging Face's Qwen3RotaryEmbedding, once at start-up)
// returns: [D/2]
std::vector<float> rope_inv_freq(int64_t D, double theta);

}  // namespace qwen3
