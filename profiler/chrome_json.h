// Writes a Trace as Chrome trace-event JSON, the format ui.perfetto.dev and chrome://tracing open directly,
// laid out as PyTorch's Kineto writes it:
//   {"traceEvents": [
//     {"ph":"M","name":"process_name","pid":P,"args":{"name":"GPU 0: NVIDIA H100"}},      metadata
//     {"ph":"M","name":"thread_name","pid":P,"tid":T,"args":{"name":"stream 7"}},
//     {"ph":"X","name":"linear_kernel","cat":"gemm","pid":P,"tid":T,
//      "ts":1234.567,"dur":89.012,"args":{...}},                                          complete event
//     {"ph":"s","id":42,"name":"launch","cat":"flow","pid":..,"tid":..,"ts":..},          flow: the launch
//     {"ph":"f","bp":"e","id":42,"name":"launch","cat":"flow","pid":..,"tid":..,"ts":..}  flow: the kernel
//   ], "displayTimeUnit":"ns", "otherData": {metadata}}
// Timestamps are microseconds with three decimals, so nanoseconds survive. A path ending in ".gz" is gzipped.
#pragma once
#include <string>

#include "profiler/trace.h"

namespace qwen3::prof {

// The JSON text of a trace.
std::string chrome_json(const Trace& trace);
// Writes it to `path` (gzip when it ends in .gz). IoError if the file cannot be written.
void write_chrome_trace(const Trace& trace, const std::string& path);

}  // namespace qwen3::prof
