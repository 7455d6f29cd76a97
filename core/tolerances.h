// How closely two backends must agree, in one place, each bound with the reason for its value.
// Errors are scale-free: ||a - b|| / ||b|| over a whole hidden state [T, H], and the cosine of the final
// (unit) embeddings.
#pragma once
#include <string>

namespace qwen3 {

struct Tolerance {
  double layer_rel;       // max over layers of ||a - b|| / ||b||
  double embedding_cos;   // min over sequences of cos(a, b) of the final embeddings
  const char* why;
};

// The tolerance for comparing backend `a` with backend `b` (order does not matter).
inline Tolerance tolerance_for(const std::string& a, const std::string& b) {
  auto pair = [&](const char* x, const char* y) { return (a == x && b == y) || (a == y && b == x); };
  if (a == b) {
    return {1e-6, 0.9999999,
            "same backend twice: the same sums in the same order, only reduction order in threaded code may differ"};
  }
  if (pair("cpu", "cuda_naive")) {
    return {1e-4, 0.99999,
            "both fp32; only summation order differs (Eigen's blocked GEMM vs one thread per output), "
            "which costs ~1e-6 per op and compounds over up to 36 layers"};
  }
  if (pair("cpu", "cuda_opt") || pair("cuda_naive", "cuda_opt")) {
    return {3e-2, 0.999,
            "bf16 storage of weights and activations (8 mantissa bits, 4e-3 relative per rounding) "
            "with fp32 accumulation and statistics"};
  }
  return {1e-4, 0.99999, "default fp32 bound"};
}

}  // namespace qwen3
