// Exercise 19_read_a_trace: your answers about the committed trace, as the tests read them.
// The trace: docs/results/raw/trace_opt_8b_800.json.gz — Qwen3-Embedding-8B (36 layers) on the optimised backend,
// one forward pass over 800 tokens replayed from a CUDA graph, on an H100 (qwen3emb trace --backend cuda_opt).
#pragma once
#include <string>

namespace learner {

struct TraceAnswers {
  // 1. The kernel with the most summed GPU time: its name as qwen3-viewer's statistics show it
  //    ("flash_attention_kernel<128>"), or any part of its full name that no other kernel's name contains.
  std::string top_kernel;
  // 2. The GPU's busy time: the durations of all GPU work (kernels and copies) added up, in µs.
  double gpu_busy_us = 0;
  // 3. The share of that busy time spent in matrix products (category "gemm"), in percent.
  double gemm_share_percent = 0;
  // 4. How many kernels one decoder layer runs (the pass has 36 layers; a few kernels run outside them).
  int kernels_per_layer = 0;
  // 5. The GPU's idle time during the pass: from the first kernel's start to the last kernel's end, the time
  //    in which no kernel runs, in µs.
  double gpu_idle_us = 0;
};

// Your answers. Typed in from what you read in qwen3-viewer, or computed here with the project's loader
// (viewer/trace_loader.h, viewer/stats.h): the tests only look at the values.
TraceAnswers answers();

}  // namespace learner
