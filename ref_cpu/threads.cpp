#include "ref_cpu/threads.h"

#include <algorithm>

#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/error.h"

namespace qwen3::cpu {

int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  if (n < 1) throw InputError("--threads must be at least 1, got " + std::to_string(n));
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
}

int threads_for(int64_t madds) {
  const int64_t worth = madds / kMinMaddsPerThread;
  return static_cast<int>(std::clamp<int64_t>(worth, 1, num_threads()));
}

void parallel_chunks(int64_t n, int parts, int64_t align, const std::function<void(int64_t, int64_t)>& body) {
  if (parts <= 1 || n <= align) {
    body(0, n);
    return;
  }
  // kChunksPerThread chunks per thread, handed out as threads come free: a thread that the OS runs late (another
  // process on its core) takes fewer chunks instead of holding up the others at the region's end.
  // chunk = ceil(n / chunks), rounded up to a multiple of align; the last chunk takes what is left
  const int64_t chunks = int64_t{parts} * kChunksPerThread;
  const int64_t chunk = ((n + chunks - 1) / chunks + align - 1) / align * align;
  const int64_t count = (n + chunk - 1) / chunk;
#pragma omp parallel for num_threads(parts) schedule(dynamic, 1)
  for (int64_t c = 0; c < count; ++c) {
    const int64_t begin = c * chunk, end = std::min(n, begin + chunk);
    body(begin, end);
  }
}

std::string cpu_build() {
#ifdef QWEN3_CPU_BUILD
  return QWEN3_CPU_BUILD;
#else
  return "unknown";
#endif
}

std::string eigen_instruction_sets() { return Eigen::SimdInstructionSetsInUse(); }

}  // namespace qwen3::cpu
