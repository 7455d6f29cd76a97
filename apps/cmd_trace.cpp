// qwen3emb trace: runs warm-up passes untraced, times untraced passes, then traces the requested passes and
// writes a Chrome trace-event JSON (Perfetto opens it), optionally with the per-kernel summary.
//   cpu:                 host-timed ranges for every op (profiler/host_session.cpp)
//   cuda_naive/cuda_opt: CUPTI kernels, copies, runtime calls and NVTX ranges (profiler/cupti_session.cpp)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/cli_checks.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "core/error.h"
#include "profiler/chrome_json.h"
#include "profiler/session.h"
#include "profiler/summary.h"
#include "ref_cpu/threads.h"

namespace qwen3::cli {

namespace {

struct TraceArgs {
  ModelOptions model;
  int64_t seq = 512;
  int64_t batch = 1;
  std::string out;
  bool summary = false;
  int warmup = 1;
  int passes = 1;
  int untraced_passes = 3;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Mean wall time of `n` forward passes.
double time_passes(Backend& backend, const Batch& batch, int n, const ForwardOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) backend.forward(batch, opt);
  return seconds_since(t0) / n;
}

// trace.json -> trace.summary; trace.json.gz -> trace.summary
std::string summary_stem(const std::string& out) {
  std::string s = out;
  for (const char* ext : {".gz", ".json"}) {
    const std::string e = ext;
    if (s.size() > e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0) s.resize(s.size() - e.size());
  }
  return s + ".summary";
}

void run_trace(const TraceArgs& a) {
  // Fail on an unwritable output before spending minutes on the passes.
  {
    std::ofstream probe(a.out, std::ios::app);
    if (!probe) throw IoError("cannot write the trace to " + a.out);
  }
  auto backend = a.model.make_backend();
  const ModelConfig& c = backend->config();
  const Batch batch = Batch::pack(synthetic_sequences(std::vector<int64_t>(a.batch, a.seq), c.vocab_size));

  // A CPU trace's op times depend on the thread count (docs/profiling.md): it is printed and kept in the trace.
  const bool cpu = backend->name() == "cpu";
  std::cerr << "trace: " << backend->name() << ", " << describe(c) << ", batch " << a.batch << " x " << a.seq
            << " tokens" << (cpu ? ", " + std::to_string(cpu::num_threads()) + " CPU threads" : std::string()) << "\n";
  time_passes(*backend, batch, a.warmup, {});
  const double untraced = time_passes(*backend, batch, a.untraced_passes, {});

  std::string why;
  std::unique_ptr<prof::TraceSession> session =
      cpu ? prof::start_host_session("qwen3emb (host)") : prof::start_cupti_session("qwen3emb (host)", &why);
  if (!session) {
    std::cerr << "warning: tracing unavailable (" << why << "); the pass ran untraced and no trace was written\n";
    std::printf("untraced forward pass: %.3f ms\n", untraced * 1e3);
    std::filesystem::remove(a.out);
    return;
  }
  ForwardOptions traced_opt;
  traced_opt.tracer = session->tracer();
  const double traced = time_passes(*backend, batch, a.passes, traced_opt);
  prof::Trace trace = session->finish();

  trace.metadata["backend"] = backend->name();
  trace.metadata["config"] = describe(c);
  trace.metadata["batch"] = a.batch;
  trace.metadata["seq"] = a.seq;
  if (cpu) trace.metadata["cpu_threads"] = cpu::num_threads();
  trace.metadata["traced_passes"] = a.passes;
  trace.metadata["untraced_ms"] = untraced * 1e3;
  trace.metadata["traced_ms"] = traced * 1e3;
  prof::write_chrome_trace(trace, a.out);

  // Overhead: CUPTI's cost is per kernel, so it is reported per launch too.
  int64_t device_events = 0;
  for (const prof::Event& e : trace.events) device_events += trace.tracks[e.track].gpu && e.category != "nvtx";
  const double per_pass = static_cast<double>(device_events) / a.passes;
  std::printf("wrote %s: %zu events, %zu flows\n", a.out.c_str(), trace.events.size(), trace.flows.size());
  std::printf("forward pass: untraced %.3f ms, traced %.3f ms, overhead %+.1f%%", untraced * 1e3, traced * 1e3,
              100.0 * (traced - untraced) / untraced);
  if (per_pass > 0) {
    std::printf(" (%.0f kernels/copies per pass, %+.2f us each)", per_pass, (traced - untraced) * 1e6 / per_pass);
  }
  std::printf("\n");

  if (a.summary) {
    const prof::Summary s = prof::summarize(trace);
    std::printf("\n");
    prof::print_summary(s, std::cout);
    const std::string stem = summary_stem(a.out);
    prof::write_summary_csv(s, stem + ".csv");
    prof::write_summary_json(s, stem + ".json");
    std::printf("wrote %s.csv and %s.json\n", stem.c_str(), stem.c_str());
  }
}

}  // namespace

void add_trace(CLI::App& app) {
  auto args = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "Trace forward passes into a Chrome trace-event JSON (Perfetto)");
  args->model.add_to(*cmd);
  cmd->add_option("--seq", args->seq, "Tokens per sequence")->check(whole_number(1));
  cmd->add_option("--batch", args->batch, "Sequences per pass")->check(whole_number(1));
  cmd->add_option("-o,--output", args->out, "Trace file (.json, or .json.gz to gzip)")->required();
  cmd->add_flag("--summary", args->summary, "Print the per-kernel summary and write it as CSV and JSON");
  cmd->add_option("--warmup", args->warmup, "Untraced warm-up passes")->check(whole_number(0, 1 << 20));
  cmd->add_option("--passes", args->passes, "Traced passes")->check(whole_number(1, 1 << 20));
  cmd->add_option("--untraced-passes", args->untraced_passes, "Timed untraced passes, to measure the tracing overhead")
      ->check(whole_number(1, 1 << 20));
  cmd->callback([args] { run_trace(*args); });
}

}  // namespace qwen3::cli
