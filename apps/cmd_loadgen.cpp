// qwen3emb loadgen: a closed-loop concurrency sweep against a qwen3emb server on this machine (apps/loadgen.h):
// per level requests/s, embeddings/s, input tokens/s, p50/p90/p99 latency and a count per HTTP status and per
// connection failure; a table on stdout and --csv for scripts/plot_loadgen.py. The analysis's serving
// measurement (SGLang, docs/analysis.md) is this sweep; docs/serving.md says how to read it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "apps/build_info.h"
#include "apps/cli_checks.h"
#include "apps/commands.h"
#include "apps/loadgen.h"
#include "core/error.h"

namespace qwen3::cli {

namespace {

struct LoadgenArgs {
  std::string url = "http://127.0.0.1:8080";
  std::vector<int64_t> concurrency{1, 4, 16, 64};
  std::vector<int64_t> tokens{128};
  int64_t inputs_per_request = 1;
  int64_t requests = 200;
  int64_t duration_s = 10;
  int64_t warmup = 1;
  int64_t timeout_s = 60;
  int64_t vocab = 0;
  int64_t seed = 1;
  std::string encoding = "base64";
  std::string csv;
};

const char* const kCsvColumns[] = {"tool", "url", "model", "commit", "encoding", "concurrency", "tokens",
                                   "inputs_per_request", "sent", "ok", "seconds", "requests_per_s",
                                   "embeddings_per_s", "input_tokens_per_s", "latency_p50_ms", "latency_p90_ms",
                                   "latency_p99_ms", "outcomes", "connect_errors", "unanswered", "resets", "timeouts", "invalid"};

std::string g(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

void write_csv(const std::string& path, const std::vector<loadgen::LevelResult>& levels, const std::string& url,
               const std::string& model, const std::string& commit) {
  std::ofstream f(path);
  if (!f) throw IoError("cannot write " + path);
  std::string header;
  for (const char* col : kCsvColumns) {
    if (!header.empty()) header.push_back(',');
    header.append(col);
  }
  f << header << "\n";
  for (const loadgen::LevelResult& r : levels) {
    const bool any = r.ok > 0;
    const std::vector<std::string> row = {
        "qwen3emb loadgen", url, model, commit, r.spec.encoding, std::to_string(r.spec.concurrency),
        std::to_string(r.spec.tokens), std::to_string(r.spec.inputs_per_request), std::to_string(r.sent),
        std::to_string(r.ok), g(r.seconds), g(r.requests_per_s()), g(r.embeddings_per_s()),
        g(r.input_tokens_per_s()), any ? g(r.latency_ms(50)) : "", any ? g(r.latency_ms(90)) : "",
        any ? g(r.latency_ms(99)) : "", r.outcome_summary(), std::to_string(r.connect_errors),
        std::to_string(r.unanswered), std::to_string(r.resets), std::to_string(r.timeouts), std::to_string(r.invalid)};
    std::string line;
    for (const std::string& field : row) {  // no field holds a comma, a quote or a line break, except the model
      if (!line.empty()) line.push_back(',');
      if (field.find_first_of(",\"\n") == std::string::npos) {
        line.append(field);
      } else {
        line.push_back('"');
        for (char ch : field) ch == '"' ? line.append("\"\"") : line.append(1, ch);
        line.push_back('"');
      }
    }
    f << line << "\n";
  }
  if (!f) throw IoError("cannot write " + path);
}

void run_loadgen(const LoadgenArgs& a) {
  if (a.encoding != "float" && a.encoding != "base64") {
    throw InputError("--encoding must be float or base64, not '" + a.encoding + "'");
  }
  const loadgen::Target target = loadgen::parse_loopback_url(a.url);
  if (!a.csv.empty() && !std::ofstream(a.csv)) throw IoError("cannot write " + a.csv);
  const loadgen::ServedModel served = loadgen::query_models(target, static_cast<double>(a.timeout_s));
  const int64_t vocab = a.vocab > 0 ? a.vocab : served.vocab_size;
  if (vocab < 1) {
    throw InputError("GET " + target.url() + "/v1/models gives no vocab_size for model '" + served.id +
                     "': give --vocab N");
  }
  const std::string commit = current_commit();
  std::printf("qwen3emb loadgen: POST %s/v1/embeddings, model %s (ids from a vocabulary of %lld), commit %s\n",
              target.url().c_str(), served.id.c_str(), static_cast<long long>(vocab), commit.c_str());
  std::printf("closed loop: each client sends its next request when its last is answered; per level at most %lld "
              "requests and %lld s after %lld warm-up request(s) per client; encoding %s, seed %lld\n",
              static_cast<long long>(a.requests), static_cast<long long>(a.duration_s),
              static_cast<long long>(a.warmup), a.encoding.c_str(), static_cast<long long>(a.seed));
  std::printf("latency: of the 200 responses, from the request's first byte written to its response's last read\n\n");
  std::printf("%6s %7s %7s %8s %8s %9s %9s %11s %9s %9s %9s  %s\n", "conc", "tokens", "inputs", "ok/sent", "seconds",
              "req/s", "emb/s", "tokens/s", "p50 ms", "p90 ms", "p99 ms", "outcomes");
  std::fflush(stdout);
  std::vector<loadgen::LevelResult> levels;
  for (int64_t tokens : a.tokens) {
    for (int64_t c : a.concurrency) {
      loadgen::LevelSpec spec;
      spec.concurrency = c;
      spec.tokens = tokens;
      spec.inputs_per_request = a.inputs_per_request;
      spec.max_requests = a.requests;
      spec.max_seconds = static_cast<double>(a.duration_s);
      spec.warmup = a.warmup;
      spec.encoding = a.encoding;
      spec.model = served.id;
      spec.vocab_size = vocab;
      spec.seed = static_cast<uint64_t>(a.seed);
      spec.timeout_s = static_cast<double>(a.timeout_s);
      levels.push_back(loadgen::run_level(target, spec));
      const loadgen::LevelResult& r = levels.back();
      const std::string ok_sent = std::to_string(r.ok) + "/" + std::to_string(r.sent);
      std::printf("%6lld %7lld %7lld %8s %8.2f %9.4g %9.4g %11.5g %9.4g %9.4g %9.4g  %s\n", static_cast<long long>(c),
                  static_cast<long long>(tokens), static_cast<long long>(a.inputs_per_request), ok_sent.c_str(),
                  r.seconds, r.requests_per_s(), r.embeddings_per_s(), r.input_tokens_per_s(), r.latency_ms(50),
                  r.latency_ms(90), r.latency_ms(99), r.outcome_summary().c_str());
      if (!r.first_error.empty()) std::fprintf(stderr, "loadgen: concurrency %lld: first failure: %s\n",
                                               static_cast<long long>(c), r.first_error.c_str());
      std::fflush(stdout);
      if (!a.csv.empty()) write_csv(a.csv, levels, target.url(), served.id, commit);  // an interrupted sweep keeps its levels
    }
  }
}

}  // namespace

void add_loadgen(CLI::App& app) {
  auto args = std::make_shared<LoadgenArgs>();
  CLI::App* cmd = app.add_subcommand(
      "loadgen", "Closed-loop concurrency sweep against a qwen3emb server on this machine (requests/s, tokens/s, "
                 "latency percentiles, status counts)");
  cmd->add_option("--url", args->url, "The server, on this machine only (default http://127.0.0.1:8080)");
  cmd->add_option("--concurrency", args->concurrency, "Closed-loop clients per level, comma-separated (default 1,4,16,64)")
      ->delimiter(',')
      ->check(whole_number(1, 4096));
  cmd->add_option("--tokens", args->tokens, "Tokens per input, comma-separated (default 128)")
      ->delimiter(',')
      ->check(whole_number(1, 1 << 20));
  cmd->add_option("--inputs-per-request", args->inputs_per_request, "Inputs in each request (default 1)")
      ->check(whole_number(1, 4096));
  cmd->add_option("--requests", args->requests, "At most this many timed requests per level (default 200)")
      ->check(whole_number(1, 10'000'000));
  cmd->add_option("--duration-s", args->duration_s, "At most this many seconds per level (default 10)")
      ->check(whole_number(1, 3600));
  cmd->add_option("--warmup", args->warmup, "Untimed requests per client before each level (default 1)")
      ->check(whole_number(0, 1000));
  cmd->add_option("--timeout-s", args->timeout_s, "Seconds a request may take before it counts as a timeout (default 60)")
      ->check(whole_number(1, 3600));
  cmd->add_option("--vocab", args->vocab,
                  "Token ids are drawn from [0, N) (default: the vocab_size GET /v1/models gives)")
      ->check(whole_number(1, INT32_MAX));
  cmd->add_option("--seed", args->seed, "Seed of the token ids (default 1)")->check(whole_number(0));
  cmd->add_option("--encoding", args->encoding, "encoding_format asked for: float or base64 (default base64, as the "
                                                "OpenAI clients ask)");
  cmd->add_option("--csv", args->csv, "Write the levels as CSV to this file (scripts/plot_loadgen.py draws it)");
  cmd->callback([args] { run_loadgen(*args); });
}

}  // namespace qwen3::cli
