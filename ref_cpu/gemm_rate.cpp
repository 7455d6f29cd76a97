#include "ref_cpu/gemm_rate.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "ref_cpu/ops.h"
#include "ref_cpu/threads.h"

namespace qwen3::cpu {

GemmRate measure_gemm_rate(int64_t n, int repeats) {
  // Values in [-1, 1) from a small linear congruential sequence: no denormals, nothing data-dependent to exploit.
  std::vector<float> x(n * n), w(n * n), y(n * n);
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 23) - 1.0f;
  };
  for (float& e : x) e = next();
  for (float& e : w) e = next();
  GemmRate r;
  r.n = n;
  r.threads = threads_for(n * n * n);
  r.seconds = 1e30;
  for (int i = 0; i < 1 + std::max(1, repeats); ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    linear(x.data(), w.data(), n, n, n, y.data());
    const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
    if (i > 0) r.seconds = std::min(r.seconds, dt.count());
  }
  r.gflops = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / r.seconds / 1e9;
  return r;
}

}  // namespace qwen3::cpu
