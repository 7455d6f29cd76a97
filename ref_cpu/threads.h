// How the CPU reference shares work among threads, and what it runs on.
//
// One rule: an op opens a parallel region only when each thread gets enough work to pay for waking it
// (kMinMaddsPerThread). Below that it runs on the calling thread alone, so a small model (or a short input)
// is never slower with more threads, even when another process keeps a core busy and a woken thread would
// wait for the scheduler. Eigen's own GEMM threading is compiled out (EIGEN_DONT_PARALLELIZE in ops.cpp):
// the ops split their work themselves, so Eigen's threads and OpenMP's never compete for the same cores.
//
// A second rule for a machine shared with other programs: an op never uses more threads than there are cores
// free right now (free_cores). A thread on a core that another process keeps busy runs in time slices of
// milliseconds, and a parallel region waits for its slowest thread, so sharing with it makes a pass slower than
// running alone (docs/results/cpu.md, "Threads").
//
// The thread count is OpenMP's (OMP_NUM_THREADS, or `qwen3emb --threads N`, which calls set_num_threads);
// without OpenMP everything runs on one thread.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace qwen3::cpu {

// Multiply-adds below which a thread is not worth waking: about 0.1 ms of one AVX-512 core's GEMM rate,
// far more than the few microseconds a parallel region costs on an idle machine.
inline constexpr int64_t kMinMaddsPerThread = int64_t{8} << 20;
// How finely parallel_chunks cuts the work: chunks per thread, so that a thread delayed by another process
// leaves its share to the others.
inline constexpr int kChunksPerThread = 4;

// The most threads an op may use (OpenMP's setting; 1 without OpenMP).
int num_threads();
// Sets it. n >= 1 (InputError otherwise).
void set_num_threads(int n);
// Threads worth using for `madds` multiply-adds of work: floor(madds / kMinMaddsPerThread), at least 1,
// at most num_threads().
int threads_worth(int64_t madds);
// The threads an op of `madds` multiply-adds uses now: threads_worth(madds), at most free_cores().
int threads_for(int64_t madds);

// Cores free for this process's threads: the cores it may run on less the other processes' threads that are
// runnable now (Linux: /proc/loadavg's running count less this process's running threads; sampled at most every
// 10 ms), at least 1. Without Linux's /proc: the cores it may run on.
int free_cores();
// The rule inside free_cores: cores - (runnable_all - runnable_here), clamped to [1, cores]. runnable_all counts
// every runnable thread of the machine, runnable_here those of this process (this calling thread among them).
int free_cores(int cores, int runnable_all, int runnable_here);
// body(begin, end) over [0, n) cut into contiguous chunks whose bounds are multiples of `align`, run by `parts`
// threads (about kChunksPerThread chunks each, taken as threads come free); parts == 1 is one plain call on this
// thread (no parallel region).
void parallel_chunks(int64_t n, int parts, int64_t align, const std::function<void(int64_t, int64_t)>& body);

// "native" (-march=native) or "portable": how this build was configured (CMake option QWEN3_NATIVE).
std::string cpu_build();
// The vector instruction sets Eigen uses in this build, as Eigen names them (e.g. "AVX512, FMA, AVX2, ...").
std::string eigen_instruction_sets();

}  // namespace qwen3::cpu
