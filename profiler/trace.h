// The in-memory trace: tracks (a process and one of its threads, or a GPU and one of its streams), events
// (a named interval on a track, with a category and arguments) and flows (a CPU-side launch linked to the
// GPU kernel it started). Written as Chrome trace-event JSON by chrome_json.h, summarised by summary.h,
// drawn by qwen3-viewer.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "profiler/kernel_name.h"  // short_kernel_name

namespace qwen3::prof {

// The categories of the "cat" field, the same everywhere (trace, summary, viewer colours):
//   gemm, attention, norm, elementwise   GPU kernels (or CPU ops) by what they compute
//   memcpy, memset                       copies and fills
//   runtime, sync                        CUDA runtime API calls and synchronisation, on host threads
//   nvtx, host                           named ranges: NVTX (GPU backends) or host-timed (CPU backend)
inline constexpr const char* kCategories[] = {"gemm",    "attention", "norm",    "elementwise", "memcpy",
                                              "memset",  "runtime",   "sync",    "nvtx",        "host"};

// The category of a GPU kernel from its demangled name: matrix products (gemm, sgemm, matmul, linear,
// nvjet, cutlass, wgmma, mma) -> gemm; attention, softmax, flash -> attention; norm -> norm; else elementwise.
std::string kernel_category(std::string_view kernel_name);

// short_kernel_name (a kernel's name without return type, qualifiers and parameters): profiler/kernel_name.h.

struct Track {
  int64_t pid = 0;
  int64_t tid = 0;
  std::string process_name;  // e.g. "qwen3emb (host)", "GPU 0: NVIDIA H100 80GB HBM3"
  std::string thread_name;   // e.g. "main thread", "stream 7"
  bool gpu = false;          // a GPU stream: its events are device work
};

struct Event {
  std::string name;
  std::string category;
  int64_t start_ns = 0;  // on the trace's one clock
  int64_t dur_ns = 0;
  size_t track = 0;      // index into Trace::tracks
  nlohmann::json args = nlohmann::json::object();  // grid, block, registers, bytes, correlation, ...
};

// A launch (an event on a host thread) linked to the kernel or copy it started (an event on a GPU stream).
struct Flow {
  uint64_t id = 0;  // CUPTI correlation id
  size_t from = 0;  // index into Trace::events
  size_t to = 0;
};

struct Trace {
  std::vector<Track> tracks;
  std::vector<Event> events;
  std::vector<Flow> flows;
  nlohmann::json metadata = nlohmann::json::object();  // device, backend, config, command, ...

  // Index of the track (pid, tid), created with these names if it does not exist yet.
  size_t track(int64_t pid, int64_t tid, const std::string& process_name, const std::string& thread_name, bool gpu);
  // Sorts events by (track, start, longest first) so that enclosing ranges come before what they contain;
  // flow indices are remapped.
  void sort();
};

// Checks that ranges on each track nest properly (each event either contains or is disjoint from every
// other of its track). Returns "" if so, else a description of the first violation.
std::string check_nesting(const Trace& trace);

}  // namespace qwen3::prof
