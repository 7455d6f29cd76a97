// qwen3emb serve: the OpenAI-compatible embeddings server (serve/server.h) over one backend.
//   qwen3emb serve [--model DIR | --config X --random-weights] [--backend B] --host 127.0.0.1 --port N
// Prints "serve: listening on http://HOST:PORT (model NAME, backend B)" on stderr once it answers embeddings
// requests (and writes the port to --port-file then); SIGINT/SIGTERM drain it and exit 0.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "apps/cli_checks.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "core/error.h"
#include "profiler/chrome_json.h"
#include "profiler/session.h"
#include "serve/server.h"

namespace qwen3::cli {

namespace {

struct ServeArgs {
  ModelOptions model;
  serve::ServerOptions server;
  int port = 8000;
  std::string port_file;
  std::string trace;
  int64_t max_body_bytes = 4 << 20;
  double max_batch_wait_ms = 0;
};

// A number of seconds > 0.
CLI::Validator positive_seconds() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() && *end == '\0' && v > 0 && v <= 86400) return "";
        return "must be a number of seconds above 0 (at most 86400), not '" + s + "'";
      },
      "SECONDS");
}

// --served-model-name, else the model folder's name, else qwen3-embedding-<preset> for random weights.
std::string served_name(const ServeArgs& a, const std::string& given) {
  if (!given.empty()) return given;
  if (a.model.random_weights) return "qwen3-embedding-" + a.model.preset;
  std::filesystem::path dir = a.model.resolved_model_dir();
  if (!dir.has_filename()) dir = dir.parent_path();  // "models/x/" -> "x"
  return dir.filename().string();
}

void run_serve(ServeArgs& a, const std::string& name_option) {
  serve::ServerOptions& o = a.server;
  o.port = static_cast<unsigned short>(a.port);
  o.http.max_body_bytes = static_cast<size_t>(a.max_body_bytes);
  o.batching.max_batch_wait = std::chrono::microseconds(std::llround(a.max_batch_wait_ms * 1000));
  o.model_name = served_name(a, name_option);
  if (!a.trace.empty()) {
    std::ofstream probe(a.trace, std::ios::app);
    if (!probe) throw IoError("cannot write the trace to " + a.trace);
  }

  auto server = std::make_unique<serve::Server>(o);
  const unsigned short port = server->listen();  // answers 503 while the model loads
  server->stop_on_signals();
  const Tokenizer tokenizer = a.model.make_tokenizer();
  auto backend = a.model.make_backend();

  std::unique_ptr<prof::TraceSession> session;
  if (!a.trace.empty()) {
    std::string why;
    session = backend->name() == "cpu" ? prof::start_host_session("qwen3emb serve")
                                       : prof::start_cupti_session("qwen3emb serve", &why);
    if (!session) std::cerr << "warning: tracing unavailable (" << why << "); serving untraced\n";
  }
  server->set_model(*backend, tokenizer, session ? session->tracer() : nullptr);
  if (!a.port_file.empty()) {
    std::ofstream f(a.port_file);
    f << port << "\n";
    if (!f) throw IoError("cannot write the port to " + a.port_file);
  }
  std::cerr << "serve: listening on http://" << o.host << ":" << port << " (model " << o.model_name << ", backend "
            << backend->name() << ")" << std::endl;

  if (!server->wait()) {
    std::cerr << "error: shutdown timed out after " << o.shutdown_timeout_s << " s with "
              << server->metrics().requests_in_flight.load() << " request(s) unanswered (--shutdown-timeout-s)"
              << std::endl;
    std::_Exit(1);  // the model thread may be inside a forward pass: no orderly stop is possible
  }
  const std::string metrics_summary = std::to_string(server->metrics().batches_total());
  // What the clients should have received, as loadgen writes its outcomes ("200:120 503:3"), to compare with what
  // they did (tests/test_serve_load.cpp)
  uint64_t answered = 0;
  std::string by_status;
  for (const auto& [status, n] : server->metrics().answered("embeddings")) {
    answered += n;
    by_status += (by_status.empty() ? "" : " ") + std::to_string(status) + ":" + std::to_string(n);
  }
  server.reset();  // the batcher has stopped: the trace is complete
  if (session) {
    prof::Trace trace = session->finish();
    trace.metadata["backend"] = backend->name();
    trace.metadata["config"] = describe(backend->config());
    trace.metadata["command"] = "serve";
    prof::write_chrome_trace(trace, a.trace);
    std::cerr << "serve: wrote the trace of " << metrics_summary << " batches to " << a.trace << "\n";
  }
  std::cerr << "serve: stopped; answered " << answered << " embeddings requests (" << by_status << ")\n";
}

}  // namespace

void add_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve OpenAI-compatible embeddings over HTTP (POST /v1/embeddings)");
  args->model.add_to(*cmd);
  serve::ServerOptions& o = args->server;
  cmd->add_option("--host", o.host, "Address to listen on (an IP address)")->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: a free one; see --port-file)")
      ->check(whole_number(0, 65535))->capture_default_str();
  cmd->add_option("--port-file", args->port_file, "Write the port here (and a newline) once serving");
  cmd->add_option("--served-model-name", *name, "The model's name in the API (default: the model folder's name, or "
                                                "qwen3-embedding-PRESET for random weights)");
  cmd->add_option("--max-batch-tokens", o.batching.max_batch_tokens, "Tokens per forward pass (packed, no padding)")
      ->check(whole_number(1, 1 << 24))->capture_default_str();
  cmd->add_option("--max-batch-requests", o.batching.max_batch_requests, "Inputs per forward pass")
      ->check(whole_number(1, 1 << 20))->capture_default_str();
  cmd->add_option("--max-batch-wait-ms", args->max_batch_wait_ms, "The batching window: when the model is free and "
                  "the next batch is not full, wait up to this long for more inputs (0: run at once)")
      ->check(number_in(0, 10000))->capture_default_str();
  cmd->add_option("--max-body-bytes", args->max_body_bytes, "Largest request body (413 beyond)")
      ->check(whole_number(1, int64_t{1} << 32))->capture_default_str();
  cmd->add_option("--max-inputs-per-request", o.max_inputs_per_request, "Inputs in one request (413 beyond)")
      ->check(whole_number(1, 1 << 20))->capture_default_str();
  cmd->add_option("--max-input-tokens", o.max_input_tokens, "Tokens per input, <|endoftext|> included (400 "
                                                              "context_length_exceeded beyond; default 8192 or the model's limit)")
      ->check(whole_number(1, 1 << 24));
  cmd->add_flag("--auto-truncate", o.auto_truncate, "Cut over-long inputs to --max-input-tokens instead of refusing them");
  cmd->add_option("--max-in-flight", o.batching.max_in_flight, "Admitted inputs not yet answered (429 + Retry-After beyond)")
      ->check(whole_number(1, 1 << 24))->capture_default_str();
  cmd->add_option("--read-timeout-s", o.http.read_timeout_s, "A started request must arrive whole within this (408)")
      ->check(positive_seconds())->capture_default_str();
  cmd->add_option("--keep-alive-timeout-s", o.http.keep_alive_timeout_s, "Idle connections are closed after this")
      ->check(positive_seconds())->capture_default_str();
  cmd->add_option("--shutdown-timeout-s", o.shutdown_timeout_s, "On SIGINT/SIGTERM, answer admitted requests within "
                                                                "this, else exit 1")
      ->check(positive_seconds())->capture_default_str();
  cmd->add_option("--io-threads", o.io_threads, "Threads for the connections and the tokeniser")
      ->check(whole_number(1, 256))->capture_default_str();
  cmd->add_option("--trace", args->trace, "Write the profiler's trace of the batches here at exit (.json or .json.gz)");
  cmd->callback([args, name] { run_serve(*args, *name); });
}

}  // namespace qwen3::cli
