// The problem both suites of the quantised GEMMs solve (tests/test_quant_gemm_sim.cpp on the CPU simulator,
// tests/test_cuda_quant_gemm.cpp under nvcc): random bf16 activations, random weights quantised by core/quant.cpp,
// and the reference Y = X · Wᵀ from ref_cpu over the weights core dequantises from those same bytes.
#pragma once
#include <cstdint>
#include <vector>

#include "core/quant.h"
#include "core/rng.h"
#include "core/safetensors.h"
#include "ref_cpu/ops.h"

namespace qwen3::test {

struct QuantProblem {
  std::vector<uint16_t> X;      // [M, K] bf16
  std::vector<float> Xf;        // the same, widened
  std::vector<uint8_t> Wbytes;  // [N] rows of GGUF blocks
  std::vector<float> W;         // [N, K] what core/quant.cpp dequantises from Wbytes
  std::vector<float> want;      // [M, N] X · Wᵀ by ref_cpu
};

// Random activations and weights (a spread of row scales, so that blocks' scales differ), quantised to `type`.
inline QuantProblem make_quant_problem(GgmlType type, int M, int N, int K, uint64_t seed) {
  QuantProblem p;
  p.X.resize(size_t(M) * K);
  p.Xf.resize(p.X.size());
  for (size_t i = 0; i < p.X.size(); ++i) {
    p.X[i] = f32_to_bf16(random_symmetric(seed, 1, i));
    p.Xf[i] = bf16_to_f32(p.X[i]);
  }
  std::vector<float> w(size_t(N) * K);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (0.01f + 0.05f * float(i / 64 % 7)) * random_symmetric(seed, 2, i);
  p.Wbytes = quantize_rows(type, w.data(), N, K);
  p.W.resize(w.size());
  const int64_t rb = row_bytes(type, K);
  for (int n = 0; n < N; ++n) dequantize_row(type, p.Wbytes.data() + n * rb, p.W.data() + size_t(n) * K, K);
  p.want.resize(size_t(M) * N);
  cpu::linear(p.Xf.data(), p.W.data(), M, K, N, p.want.data());
  return p;
}

}  // namespace qwen3::test
