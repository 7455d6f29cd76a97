// `qwen3emb serve`'s server: the OpenAI-compatible endpoints over the HTTP layer (serve/http_server.h), the
// request parser (serve/request.h), the batcher (serve/batcher.h) and the metrics (serve/metrics.h), wired
// together, with the life cycle loading -> ready -> draining -> stopped.
//
//   POST /v1/embeddings, /embeddings   OpenAI's embeddings API (serve/request.h lists the fields)
//   GET  /v1/models, /models           the one served model
//   GET  /health                       200 ready; 503 while loading or draining
//   GET  /metrics                      Prometheus text (serve/metrics.h)
//
// Graceful shutdown (shutdown(), or SIGINT/SIGTERM after stop_on_signals()): stop accepting, /health and new
// embeddings requests get 503, every admitted request is answered, then wait() returns; all within the shutdown
// timeout, else wait() returns false.
#pragma once
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/backend.h"
#include "core/tokenizer.h"
#include "serve/batcher.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/request.h"

namespace qwen3::serve {

struct ServerOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 0;       // 0: a free port (listen() returns it)
  std::string model_name;        // what /v1/models lists and requests may name
  BatcherOptions batching;
  HttpLimits http;
  int64_t max_inputs_per_request = 2048;
  int64_t max_input_tokens = 0;  // 0: 8192 (as `embed --max-tokens`), or the model's max_position_embeddings if lower
  bool auto_truncate = false;
  double shutdown_timeout_s = 30;
  int io_threads = 2;            // threads running the connections (and the tokeniser)
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // shuts down (if not yet), stops the batcher and the I/O threads
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads; the server answers at once, 503 until set_model. Returns the port.
  unsigned short listen();
  // The model is loaded: starts the batcher and answers embeddings requests. `backend` and `tokenizer` (and
  // `tracer`, which only the model thread uses) must outlive the server. InputError for a bad --max-input-tokens.
  void set_model(Backend& backend, const Tokenizer& tokenizer, Tracer* tracer = nullptr);
  // Starts draining; thread-safe and idempotent.
  void shutdown();
  // Blocks until shut down: true when every admitted request was answered, false when the shutdown timeout passed.
  bool wait();
  // SIGINT and SIGTERM call shutdown().
  void stop_on_signals();

  Metrics& metrics() { return metrics_; }
  const RequestLimits& limits() const { return limits_; }

 private:
  enum class State { loading, ready, draining };
  void handle(const std::shared_ptr<Exchange>& ex);
  void handle_embeddings(const std::shared_ptr<Exchange>& ex);
  void answer_embeddings(const std::shared_ptr<Exchange>& ex, const EmbeddingsRequest& request, int64_t tokens,
                         const PendingRequest& pending);
  void poll_drained();
  void finish(bool clean);

  ServerOptions options_;
  Metrics metrics_;
  RequestLimits limits_;
  std::atomic<int64_t> served_vocab_{0};  // the loaded model's vocab_size, for GET /v1/models (0 while loading)
  const Tokenizer* tokenizer_ = nullptr;
  std::unique_ptr<Batcher> batcher_;
  std::atomic<State> state_{State::loading};
  int64_t created_ = 0;  // unix time the server started (/v1/models)

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<HttpServer> http_;
  boost::asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::vector<std::thread> io_threads_;

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool done_ = false;
  bool clean_ = false;
};

}  // namespace qwen3::serve
