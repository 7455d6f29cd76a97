// A synthetic trace shaped like a Qwen3 forward pass on a GPU, of any size: the benchmark's million-slice
// input (--bench-frames) and the tests' large input, with no file needed.
//
// Per pass: host range "forward" > "layer L" > "layer L / <block> / <op>" (nvtx) > "cudaLaunchKernel"
// (runtime), and for each op a kernel on GPU stream 7 (gemm, attention, norm, elementwise categories) linked to
// its launch by a flow; the GPU runs behind the host as in a real trace. 28 layers x 14 ops x 3 slices
// + 29 ranges = 1205 slices per pass; passes repeat until `slices` is reached. Deterministic for a seed.
#pragma once
#include <cstdint>
#include <string>

#include "viewer/trace.h"

namespace qwen3::viewer {

Trace make_synthetic_trace(uint64_t slices, uint64_t seed = 1);
// The same events as Chrome trace-event JSON text (for measuring the loader).
std::string synthetic_trace_json(uint64_t slices, uint64_t seed = 1);

}  // namespace qwen3::viewer
