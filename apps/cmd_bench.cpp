// qwen3emb bench: throughput, latency and cost over a grid of sequence lengths × batch sizes, the analysis's
// measurements (shared/seed-analysis.md) reproduced with this project's backends. Per cell: embeddings/s,
// tokens/s, per-request latency p50/p95, achieved TFLOP/s from the exact FLOP count (core/flops.h), its
// fraction of a peak rate, and the cost per million tokens. A table on stdout; --csv and --json for plots
// (scripts/plot_bench.py) and for the PyTorch peer (scripts/bench_pytorch.py writes the same CSV columns).
//
// Timing: each cell runs `--warmup` untimed passes, then `--repeats` timed ones. Backend::forward returns the
// embeddings on the host, so its wall time includes everything a caller waits for (a GPU is synchronised).
// Every sequence of a batch is one request; its latency is the wall time of its batch.
// A cell that cannot run (out of memory, invalid) is a row saying why, and one stderr line lists them at the end;
// a grid where no cell ran exits 1 with that list.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <new>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "apps/build_info.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "core/batch.h"
#include "core/error.h"
#include "core/flops.h"
#include "core/weights.h"
#include "ref_cpu/gemm_rate.h"
#include "ref_cpu/threads.h"
#ifdef QWEN3_HAVE_BENCH_CUDA
#include "bench/gemm_peak.h"
#endif

namespace qwen3::cli {

namespace {

// The CSV columns; scripts/bench_pytorch.py writes the same (tests/test_bench.cpp checks both).
const char* const kCsvColumns[] = {
    "implementation", "backend",        "device",          "commit",           "config",
    "seq",            "batch",          "tokens",          "status",           "warmup",
    "repeats",        "embeddings_per_s", "tokens_per_s",  "latency_p50_ms",   "latency_p95_ms",
    "flops_per_batch", "achieved_tflops", "peak_tflops",   "fraction_of_peak", "usd_per_hour",
    "usd_per_million_tokens"};

struct BenchArgs {
  ModelOptions model;
  std::vector<int64_t> seqs{260, 520, 1040, 2080, 5200};
  std::vector<int64_t> batches{1, 2, 4, 8, 16, 32, 64};
  int warmup = 1;
  int repeats = 3;
  double peak_tflops = 0;
  int64_t gemm_n = 2048;  // --gemm-n: the cpu backend's measured peak, an n³ fp32 GEMM
  double usd_per_hour = 2.00;
  std::string csv, json;
};

struct Cell {
  int64_t seq = 0, batch = 0;
  std::string status = "ok";  // ok | out_of_memory | invalid
  std::string detail;         // why, when not ok
  std::vector<double> seconds;  // wall time of each timed pass
  double flops = 0;             // exact count of one pass, attention causal (core/flops.h)
  // derived from the above
  double embeddings_per_s = 0, tokens_per_s = 0, p50_ms = 0, p95_ms = 0, tflops = 0, usd_per_mtok = 0;
  int64_t tokens() const { return seq * batch; }
  bool ok() const { return status == "ok"; }
};

struct RunInfo {
  std::string backend, device, commit, config;
  double peak_tflops = 0;
  std::string peak_source = "none";
  int threads = 1;  // the cpu backend's (ref_cpu/threads.h)
};

// The p-th percentile of v, 0 <= p <= 100, interpolating linearly between the closest ranks (as numpy does):
// x = v_sorted[floor(r)] + (r - floor(r))·(v_sorted[floor(r)+1] - v_sorted[floor(r)]),  r = p/100·(n-1)
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double r = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(r));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (r - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Every figure of a cell from its timings.
void derive(Cell& c, double usd_per_hour) {
  double total = 0;
  for (double s : c.seconds) total += s;
  const double n = static_cast<double>(c.seconds.size());
  c.embeddings_per_s = n * static_cast<double>(c.batch) / total;           // B · repeats / Σ t
  c.tokens_per_s = n * static_cast<double>(c.tokens()) / total;            // B · S · repeats / Σ t
  c.p50_ms = percentile(c.seconds, 50) * 1e3;
  c.p95_ms = percentile(c.seconds, 95) * 1e3;
  c.tflops = c.flops / (total / n) / 1e12;                                 // F / mean t
  c.usd_per_mtok = usd_per_million_tokens(usd_per_hour, c.tokens_per_s);
}

// ---- where and what -------------------------------------------------------------------------------

std::string cpu_name() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      std::string name = line.substr(line.find(':') + 1);
      name.erase(0, name.find_first_not_of(' '));
      return name + " (" + std::to_string(std::thread::hardware_concurrency()) + " threads)";
    }
  }
  return "CPU (" + std::to_string(std::thread::hardware_concurrency()) + " threads)";
}

bool is_cuda_backend(const std::string& name) { return name.rfind("cuda", 0) == 0; }

std::string device_name(const std::string& backend) {
  if (!is_cuda_backend(backend)) return cpu_name();
#ifdef QWEN3_HAVE_BENCH_CUDA
  return bench::cuda_device_name();
#else
  return "CUDA device";
#endif
}

// ---- memory ----------------------------------------------------------------------------------------

// Host memory a cell needs before any backend runs: its token ids and positions. For the cpu backend also its
// scratch buffers (ref_cpu/cpu_backend.cpp), which it allocates without checking: x, xn, proj [T, H];
// q, att [T, NH·D]; k, v [T, NKV·D]; gate, up [T, I]; and one S×S score matrix per thread.
// The GPU backends check their own memory and throw InputError naming the bytes.
void require_cell_memory(const std::string& backend, const ModelConfig& c, int64_t S, int64_t B) {
  const double T = static_cast<double>(S) * static_cast<double>(B);
  double bytes = T * (sizeof(int32_t) * 2);
  if (backend == "cpu") {
    const double per_token = 3.0 * c.hidden_size + 2.0 * c.q_dim() + 2.0 * c.kv_dim() + 2.0 * c.intermediate_size;
    const double threads = cpu::num_threads();
    bytes += sizeof(float) * (T * per_token + threads * static_cast<double>(S) * static_cast<double>(S));
  }
  // doubles: a huge grid cell must not overflow before it is refused
  const double limit = 1.8e19;
  require_host_memory(static_cast<uint64_t>(std::min(bytes, limit)),
                      "batch " + std::to_string(B) + " × " + std::to_string(S) + " tokens on " + backend);
}

// ---- one cell --------------------------------------------------------------------------------------

void run_cell(Backend& backend, const BenchArgs& a, Cell& cell, const std::function<void(int)>& on_pass) {
  const ModelConfig& c = backend.config();
  try {
    require_cell_memory(a.model.backend, c, cell.seq, cell.batch);
    const Batch batch = Batch::pack(synthetic_sequences(std::vector<int64_t>(cell.batch, cell.seq), c.vocab_size));
    for (int i = 0; i < a.warmup + a.repeats; ++i) {
      on_pass(i);
      const auto t0 = std::chrono::steady_clock::now();
      const ForwardOutput out = backend.forward(batch);
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      if (out.embeddings.size() != static_cast<size_t>(cell.batch * c.hidden_size)) {
        throw Error("bench: backend " + backend.name() + " returned " + std::to_string(out.embeddings.size()) +
                    " values for " + std::to_string(cell.batch) + " embeddings");
      }
      if (i >= a.warmup) cell.seconds.push_back(dt.count());
    }
    derive(cell, a.usd_per_hour);
  } catch (const InputError& e) {
    const std::string what = e.what();
    const bool memory = what.find("bytes") != std::string::npos || what.find("memory") != std::string::npos;
    cell.status = memory ? "out_of_memory" : "invalid";
    cell.detail = what;
  } catch (const std::bad_alloc&) {
    cell.status = "out_of_memory";
    cell.detail = "a host allocation failed";
  } catch (const Error& e) {
    // An allocation that failed on the device after the backend's own check: recoverable, reported.
    // Anything else (a kernel fault) leaves the device unusable: stop the run with the error.
    if (std::string(e.what()).find("out of memory") == std::string::npos) throw;
    cell.status = "out_of_memory";
    cell.detail = e.what();
  }
  if (!cell.ok()) cell.seconds.clear();
}

// ---- the failed cells, on one line ---------------------------------------------------------------------

struct FailureSummary {
  size_t cells = 0;  // how many cells did not run
  std::string text;  // per status: the cells ("seq × batch") and the first one's reason, cut short
};

// E.g. "out_of_memory at seq×batch 16×100000000, 40000×100000000 (batch 100000000 × 16 tokens on cpu needs ...); invalid: ...".
FailureSummary summarize_failures(const std::vector<Cell>& cells) {
  FailureSummary s;
  std::vector<std::string> statuses;  // in the order first seen
  std::map<std::string, std::pair<std::string, std::string>> by_status;  // status -> (cells, first reason)
  for (const Cell& c : cells) {
    if (c.ok()) continue;
    ++s.cells;
    auto [it, is_new] = by_status.try_emplace(c.status);
    if (is_new) {
      statuses.push_back(c.status);
      it->second.second = c.detail.size() > 160 ? c.detail.substr(0, 157) + "..." : c.detail;
    }
    std::string& list = it->second.first;
    if (!list.empty()) list += ", ";
    list.append(std::to_string(c.seq)).append("×").append(std::to_string(c.batch));
  }
  for (const std::string& status : statuses) {
    const auto& [list, reason] = by_status.at(status);
    if (!s.text.empty()) s.text += "; ";
    s.text.append(status).append(" at seq×batch ").append(list).append(" (").append(reason).append(")");
  }
  return s;
}

// ---- output ----------------------------------------------------------------------------------------

std::string num(const char* fmt, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, x);
  return buf;
}

void print_header_row() {
  std::printf("%7s %6s %-14s %10s %11s %10s %10s %9s %7s %10s\n", "seq", "batch", "status", "emb/s", "tokens/s",
              "p50 ms", "p95 ms", "TFLOP/s", "%peak", "$/M tok");
}

void print_row(const Cell& c, const RunInfo& info) {
  if (!c.ok()) {
    std::printf("%7lld %6lld %-14s %s\n", static_cast<long long>(c.seq), static_cast<long long>(c.batch),
                c.status.c_str(), c.detail.c_str());
    return;
  }
  const std::string peak = info.peak_tflops > 0 ? num("%.1f", 100.0 * c.tflops / info.peak_tflops) : "-";
  std::printf("%7lld %6lld %-14s %10.4g %11.5g %10.4g %10.4g %9.4g %7s %10.4g\n", static_cast<long long>(c.seq),
              static_cast<long long>(c.batch), c.status.c_str(), c.embeddings_per_s, c.tokens_per_s, c.p50_ms,
              c.p95_ms, c.tflops, peak.c_str(), c.usd_per_mtok);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

void write_csv(const std::string& path, const std::vector<Cell>& cells, const BenchArgs& a, const RunInfo& info) {
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  std::string header;
  for (const char* col : kCsvColumns) {
    if (!header.empty()) header += ',';
    header += col;
  }
  f << header << "\n";
  auto g = [](double x) { return num("%.6g", x); };
  for (const Cell& c : cells) {
    const bool ok = c.ok();
    const std::string peak = info.peak_tflops > 0 ? g(info.peak_tflops) : "";
    const std::string fraction = ok && info.peak_tflops > 0 ? g(c.tflops / info.peak_tflops) : "";
    const std::vector<std::string> row = {
        "qwen3emb", info.backend, info.device, info.commit, info.config, std::to_string(c.seq),
        std::to_string(c.batch), std::to_string(c.tokens()), c.status, std::to_string(a.warmup),
        std::to_string(a.repeats), ok ? g(c.embeddings_per_s) : "", ok ? g(c.tokens_per_s) : "",
        ok ? g(c.p50_ms) : "", ok ? g(c.p95_ms) : "", num("%.0f", c.flops), ok ? g(c.tflops) : "", peak, fraction,
        g(a.usd_per_hour), ok ? g(c.usd_per_mtok) : ""};
    std::string line;
    for (const std::string& field : row) {
      if (!line.empty()) line += ',';
      line += csv_field(field);
    }
    f << line << "\n";
  }
  if (!f) throw IoError("cannot write " + path);
}

void write_json(const std::string& path, const std::vector<Cell>& cells, const BenchArgs& a, const RunInfo& info,
                const ModelConfig& config) {
  using json = nlohmann::ordered_json;
  auto or_null = [](bool ok, double x) { return ok ? json(x) : json(nullptr); };
  json j;
  j["tool"] = "qwen3emb bench";
  j["implementation"] = "qwen3emb";
  j["backend"] = info.backend;
  j["device"] = info.device;
  j["commit"] = info.commit;
  j["config_name"] = info.config;
  j["config"] = config.to_json();
  // How the host code was built: native or portable, the instruction sets the compiler and Eigen use.
  j["cpu_build"] = {{"build", cpu::cpu_build()},
                    {"compiled_for", simd_level()},
                    {"eigen_vectorisation", cpu::eigen_instruction_sets()},
                    {"threads", info.threads}};
  j["settings"] = {{"seq", a.seqs},
                   {"batch", a.batches},
                   {"warmup", a.warmup},
                   {"repeats", a.repeats},
                   {"seed", a.model.seed},
                   {"peak_tflops", info.peak_tflops > 0 ? json(info.peak_tflops) : json(nullptr)},
                   {"peak_source", info.peak_source},
                   {"threads", info.threads},
                   {"usd_per_hour", a.usd_per_hour},
                   {"flops", "exact count (core/flops.h), attention causal; a multiply-add = 2 FLOPs"},
                   {"latency", "per request = the wall time of its batch"}};
  json rows = json::array();
  for (const Cell& c : cells) {
    const bool ok = c.ok();
    json r;
    r["seq"] = c.seq;
    r["batch"] = c.batch;
    r["tokens"] = c.tokens();
    r["status"] = c.status;
    if (!ok) r["detail"] = c.detail;
    r["seconds"] = c.seconds;
    r["embeddings_per_s"] = or_null(ok, c.embeddings_per_s);
    r["tokens_per_s"] = or_null(ok, c.tokens_per_s);
    r["latency_p50_ms"] = or_null(ok, c.p50_ms);
    r["latency_p95_ms"] = or_null(ok, c.p95_ms);
    r["flops_per_batch"] = c.flops;
    r["achieved_tflops"] = or_null(ok, c.tflops);
    r["fraction_of_peak"] = or_null(ok && info.peak_tflops > 0, c.tflops / info.peak_tflops);
    r["usd_per_million_tokens"] = or_null(ok, c.usd_per_mtok);
    rows.push_back(std::move(r));
  }
  j["cells"] = std::move(rows);
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  f << j.dump(2) << "\n";
  if (!f) throw IoError("cannot write " + path);
}

// ---- progress on stderr -------------------------------------------------------------------------------

class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO) != 0), start_(now()) {}
  // Redraws the bar (on a terminal) for cell `done` + 1 of the grid, pass `pass` of `passes`.
  void update(size_t done, const Cell& cell, int pass, int passes) {
    if (!tty_) return;
    const int width = 30;
    const int filled = static_cast<int>(width * done / std::max<size_t>(total_, 1));
    std::fprintf(stderr, "\r[%s%s] %zu/%zu  seq %lld × batch %lld  pass %d/%d  %.0f s\033[K",
                 std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total_,
                 static_cast<long long>(cell.seq), static_cast<long long>(cell.batch), pass + 1, passes, now() - start_);
    std::fflush(stderr);
  }
  // Before a line goes to stdout: clear the bar (on a terminal), or log the finished cell (elsewhere).
  void finished(size_t done, const Cell& cell) {
    if (tty_) {
      std::fprintf(stderr, "\r\033[K");
    } else {
      std::fprintf(stderr, "bench: %zu/%zu seq %lld × batch %lld: %s (%.0f s)\n", done, total_,
                   static_cast<long long>(cell.seq), static_cast<long long>(cell.batch), cell.status.c_str(),
                   now() - start_);
    }
    std::fflush(stderr);
  }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  size_t total_;
  bool tty_;
  double start_;
};

// ---- the command ----------------------------------------------------------------------------------------

void run_bench(BenchArgs& a) {
  if (!a.model.preset.empty()) a.model.random_weights = true;  // --config alone means random weights here
  if (a.repeats < 1) throw InputError("--repeats must be at least 1");
  if (a.warmup < 0) throw InputError("--warmup must be at least 0");
  for (int64_t s : a.seqs) {
    if (s < 1) throw InputError("--seq: every length must be at least 1, got " + std::to_string(s));
  }
  for (int64_t b : a.batches) {
    if (b < 1) throw InputError("--batch: every size must be at least 1, got " + std::to_string(b));
  }
  if (a.gemm_n < 16 || a.gemm_n > 16384) throw InputError("--gemm-n must be in 16..16384, got " + std::to_string(a.gemm_n));

  RunInfo info;
  info.backend = a.model.backend;
  if (a.model.random_weights) {
    info.config = a.model.preset;
  } else {  // the model folder's name, e.g. "Qwen3-Embedding-0.6B" (also when given with a trailing slash)
    const std::filesystem::path dir = std::filesystem::path(a.model.resolved_model_dir()).lexically_normal();
    info.config = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
  }
  std::unique_ptr<Backend> backend = a.model.make_backend();
  const ModelConfig& c = backend->config();
  info.device = device_name(info.backend);
  info.threads = cpu::num_threads();
  info.commit = current_commit();
  if (a.peak_tflops > 0) {
    info.peak_tflops = a.peak_tflops, info.peak_source = "--peak-tflops";
  } else if (is_cuda_backend(info.backend)) {
#ifdef QWEN3_HAVE_BENCH_CUDA
    std::cerr << "bench: measuring the peak with a cuBLAS bf16 4096³ GEMM...\n";
    info.peak_tflops = bench::measure_bf16_gemm().tflops;
    info.peak_source = "cuBLAS bf16 4096³ GEMM, measured in this run";
#endif
  } else if (info.backend == "cpu") {
    const std::string n = std::to_string(a.gemm_n);
    std::cerr << "bench: measuring the CPU's fp32 GEMM rate (Eigen, " << n << "³)...\n";
    const cpu::GemmRate g = cpu::measure_gemm_rate(a.gemm_n);
    info.peak_tflops = g.gflops / 1e3;
    info.peak_source = "Eigen fp32 " + n + "³ GEMM on " + std::to_string(g.threads) + " thread" +
                       (g.threads == 1 ? "" : "s") + ", measured in this run";
  }

  std::printf("qwen3emb bench: backend %s on %s, commit %s\n", info.backend.c_str(), info.device.c_str(),
              info.commit.c_str());
  std::printf("model %s (%s)%s\n", info.config.c_str(), describe(c).c_str(),
              a.model.random_weights ? ", random weights" : "");
  std::printf("host code: %s build, %s; Eigen: %s; %d CPU thread%s\n", cpu::cpu_build().c_str(),
              simd_level().c_str(), cpu::eigen_instruction_sets().c_str(), info.threads, info.threads == 1 ? "" : "s");
  std::printf("warm-up %d, repeats %d; latency per request = its batch's wall time; TFLOP/s from the exact count "
              "(attention causal); $%.2f/hour\n", a.warmup, a.repeats, a.usd_per_hour);
  // a CPU's rate reads in GFLOP/s, a GPU's in TFLOP/s
  const std::string rate = info.peak_tflops >= 1 ? num("%.1f", info.peak_tflops) + " TFLOP/s"
                                                 : num("%.1f", info.peak_tflops * 1e3) + " GFLOP/s";
  std::printf("peak: %s\n\n", info.peak_tflops > 0 ? (rate + " (" + info.peak_source + ")").c_str()
                                                   : "none (give --peak-tflops)");
  // Fail now, not after hours of measuring, if an output file cannot be written.
  for (const std::string& path : {a.csv, a.json}) {
    if (!path.empty() && !std::ofstream(path)) throw IoError("cannot write " + path);
  }
  print_header_row();
  std::fflush(stdout);

  std::vector<Cell> cells;
  for (int64_t s : a.seqs) {
    for (int64_t b : a.batches) {
      cells.emplace_back();
      cells.back().seq = s, cells.back().batch = b;
    }
  }
  Progress progress(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    Cell& cell = cells[i];
    // Every op is a sum over the sequences, so a batch of B equal sequences costs B times one.
    cell.flops = static_cast<double>(cell.batch) * exact_flops(c, {cell.seq}).causal_total();
    run_cell(*backend, a, cell, [&](int pass) { progress.update(i, cell, pass, a.warmup + a.repeats); });
    progress.finished(i + 1, cell);
    print_row(cell, info);
    std::fflush(stdout);
    // Rewritten after every cell: an interrupted run keeps what it measured.
    const std::vector<Cell> done(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(i + 1));
    if (!a.csv.empty()) write_csv(a.csv, done, a, info);
    if (!a.json.empty()) write_json(a.json, done, a, info, c);
  }
  // A grid where no cell ran measured nothing: an error (exit 1), not a table of failures that exits 0.
  const FailureSummary failed = summarize_failures(cells);
  if (failed.cells == cells.size()) throw Error("bench: no cell produced a figure: " + failed.text);
  if (failed.cells > 0) std::cerr << "bench: " << failed.cells << " of " << cells.size() << " cells failed: " << failed.text << "\n";
}

}  // namespace

void add_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Throughput, latency and cost over a grid of sequence lengths × batch sizes");
  cmd->add_option("--seq", args->seqs, "Tokens per sequence, comma-separated (default 260,520,1040,2080,5200)")
      ->delimiter(',');
  cmd->add_option("--batch", args->batches, "Sequences per pass, comma-separated (default 1,2,4,8,16,32,64)")
      ->delimiter(',');
  cmd->add_option("--warmup", args->warmup, "Untimed passes before each cell (default 1)");
  cmd->add_option("--repeats", args->repeats, "Timed passes per cell (default 3)");
  cmd->add_option("--peak-tflops", args->peak_tflops,
                  "Peak rate for the fraction-of-peak column (default: measured in the run: a cuBLAS bf16 GEMM on CUDA "
                  "backends, an Eigen fp32 GEMM on cpu)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gemm-n", args->gemm_n, "cpu: the size n of the n³ fp32 GEMM whose rate is the peak (default 2048)");
  cmd->add_option("--usd-per-hour", args->usd_per_hour, "Price of the device per hour (default 2.00, the analysis's H100)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--csv", args->csv, "Write the cells as CSV to this file");
  cmd->add_option("--json", args->json, "Write the run (device, commit, config, settings, cells) as JSON to this file");
  args->model.add_to(*cmd);
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace qwen3::cli
