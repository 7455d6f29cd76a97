// The load generator behind `qwen3emb loadgen`: closed-loop HTTP clients against a qwen3emb server (or any
// OpenAI-compatible /v1/embeddings endpoint) on this machine, and the figures of one concurrency level.
//
// Closed loop: each of C clients keeps one keep-alive connection and sends its next request as soon as the last
// one's response is read, so C is the number of requests the server holds at any moment. All clients run as
// coroutines on one Boost.Asio io_context (one thread): the load generator's own cost stays one core at most.
//
// Inputs are token-id arrays (`"input": [[id, ...], ...]`), so every input has exactly --tokens tokens whatever the
// tokenizer would make of a text; ids come from a seeded RNG within the model's vocabulary.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qwen3::loadgen {

// Where the server is: host, port and the path prefix before /v1/... ("" for http://127.0.0.1:8080).
struct Target {
  std::string host;
  std::string port;
  std::string prefix;
  std::string url() const;  // http://host:port/prefix
};

// Parses http://HOST:PORT[/prefix]. Only this machine is allowed (127.0.0.1, localhost, [::1]): a load generator
// pointed elsewhere is a denial-of-service tool. Throws InputError naming the URL otherwise.
Target parse_loopback_url(const std::string& url);

// What GET /v1/models says about the served model.
struct ServedModel {
  std::string id;          // data[0].id: sent back as the request's "model"
  int64_t vocab_size = 0;  // data[0].vocab_size, 0 when the server does not say
};
// GET /v1/models; throws Error naming the URL when the server cannot be reached or answers something else.
ServedModel query_models(const Target& target, double timeout_s);

// One level of the sweep.
struct LevelSpec {
  int64_t concurrency = 1;         // closed-loop clients
  int64_t tokens = 128;            // tokens per input
  int64_t inputs_per_request = 1;  // inputs per request
  int64_t max_requests = 200;      // timed requests sent at most (all clients together)
  double max_seconds = 10;         // no timed request starts later than this after the first
  int64_t warmup = 1;              // untimed requests per client first (connection set up, server warm)
  std::string encoding = "base64";  // float | base64
  std::string model;               // the request's "model" ("" leaves it out)
  int64_t vocab_size = 0;          // ids are drawn from [0, vocab_size)
  uint64_t seed = 1;
  double timeout_s = 60;           // per request: connect + write + read
};

// What one level measured. Latency is over the 200 responses only (a 429 comes back at once and would flatter it).
struct LevelResult {
  LevelSpec spec;
  double seconds = 0;                  // first timed request sent → last timed response read
  int64_t sent = 0;                    // timed requests attempted
  int64_t ok = 0;                      // 200 with a well-formed body
  std::vector<double> latencies_s;     // of each ok request
  std::map<int, int64_t> statuses;     // HTTP status → count (200s with a malformed body included)
  int64_t connect_errors = 0;          // no connection (refused: e.g. the server is draining or gone)
  int64_t unanswered = 0;              // connection closed before any byte of an answer (never read by the server)
  int64_t resets = 0;                  // connection broken after the answer began: a truncated response
  int64_t timeouts = 0;                // no whole response within timeout_s
  int64_t invalid = 0;                 // 200 whose body is not the embeddings asked for
  std::string first_error;             // the first of the above, for the report

  double requests_per_s() const;       // ok / seconds
  double embeddings_per_s() const;     // ok · inputs / seconds
  double input_tokens_per_s() const;   // ok · inputs · tokens / seconds
  double latency_ms(double p) const;   // p-th percentile of latencies_s, in ms (0 when none)
  // "200:180 429:20 reset:1", the non-zero counts in order.
  std::string outcome_summary() const;
};

// Runs one level against POST {target}/v1/embeddings and returns its figures. Bounded: it ends when max_requests
// are sent or max_seconds have passed, and every request within timeout_s.
LevelResult run_level(const Target& target, const LevelSpec& spec);

// The request body: {"input": [[ids]·inputs], "encoding_format": ..., "model": ...}, ids uniform in [0, vocab).
std::string request_body(const LevelSpec& spec, uint64_t stream_seed, uint64_t request_index);

// The p-th percentile (0..100) of v, linear between the closest ranks as numpy's default does.
double percentile(std::vector<double> v, double p);

}  // namespace qwen3::loadgen
