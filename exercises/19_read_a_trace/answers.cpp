// Exercise 19_read_a_trace — the one file you edit. Statement: exercises/19_read_a_trace/README.md.
// Check your answer: qwen3emb exercise check 19_read_a_trace
#include "exercises/19_read_a_trace/answers.h"

#include "exercises/common/todo.h"

namespace learner {

TraceAnswers answers() {
  // TODO: open docs/results/raw/trace_opt_8b_800.json.gz in qwen3-viewer (its Statistics window), answer the
  // five questions of exercises/19_read_a_trace/answers.h, fill them in below and remove the not_implemented line.
  TraceAnswers a;
  a.top_kernel = "";
  a.gpu_busy_us = 0;
  a.gemm_share_percent = 0;
  a.kernels_per_layer = 0;
  a.gpu_idle_us = 0;
  qwen3::exercises::not_implemented("19_read_a_trace", "answers.cpp",
                                    "qwen3-viewer docs/results/raw/trace_opt_8b_800.json.gz; the Statistics window "
                                    "sums the GPU work only, which is what the questions ask about");
  return a;
}

}  // namespace learner
