#include "ref_cpu/threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#ifdef __linux__
#include <sched.h>
#endif

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

int threads_worth(int64_t madds) {
  const int64_t worth = madds / kMinMaddsPerThread;
  return static_cast<int>(std::clamp<int64_t>(worth, 1, num_threads()));
}

int threads_for(int64_t madds) {
  const int worth = threads_worth(madds);
  return worth == 1 ? 1 : std::min(worth, free_cores());  // one thread needs no look at the machine
}

int free_cores(int cores, int runnable_all, int runnable_here) {
  return std::clamp(cores - (runnable_all - runnable_here), 1, std::max(cores, 1));
}

namespace {

// The cores this process may run on (its affinity mask), at least 1.
int usable_cores() {
#ifdef __linux__
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Linux's runnable threads, machine-wide: the 4th field of /proc/loadavg, "running/total". -1 when unreadable.
int runnable_all() {
  std::ifstream f("/proc/loadavg");
  double l1, l5, l15;
  int running = -1;
  char slash;
  if (!(f >> l1 >> l5 >> l15 >> running >> slash)) return -1;
  return running;
}

// This process's runnable threads: state 'R' in /proc/self/task/TID/stat (the field after the ")" that closes the
// thread's name). Its OpenMP workers still spinning after a region count here, not as another process.
int runnable_here() {
  int n = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream f(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'R') ++n;
  }
  return std::max(n, 1);  // the calling thread runs, whatever the sample says
}

}  // namespace

int free_cores() {
  static const int cores = usable_cores();
  static std::atomic<int64_t> sampled_at_ns{-1};
  static std::atomic<int> sampled{1};
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch()).count();
  const int64_t last = sampled_at_ns.load(std::memory_order_relaxed);
  if (last >= 0 && now - last < 10'000'000) return sampled.load(std::memory_order_relaxed);
  const int all = runnable_all();
  const int free = all < 0 ? cores : free_cores(cores, all, runnable_here());
  sampled.store(free, std::memory_order_relaxed);
  sampled_at_ns.store(now, std::memory_order_relaxed);
  return free;
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
