#include "serve/server.h"

#include <algorithm>
#include <csignal>
#include <ctime>

#include <boost/asio/post.hpp>

#include "core/error.h"
#include "serve/response.h"

namespace qwen3::serve {

namespace asio = boost::asio;

namespace {

HttpResponse json_response(http::status status, std::string body) {
  return make_response(status, std::move(body), "application/json");
}

HttpResponse error_response(const ApiError& e) {
  HttpResponse res = json_response(static_cast<http::status>(e.status), error_body(e));
  if (e.status == 429 || e.status == 503) res.set(http::field::retry_after, "1");
  return res;
}

// "/v1/embeddings?x=1" -> "/v1/embeddings"
std::string path_of(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

// The endpoint's name in the metrics.
std::string endpoint_of(const std::string& target) {
  const std::string path = path_of(std::string_view(target));
  if (path == "/v1/embeddings" || path == "/embeddings") return "embeddings";
  if (path == "/v1/models" || path == "/models") return "models";
  if (path == "/health") return "health";
  if (path == "/metrics") return "metrics";
  return target.empty() ? "refused" : "other";
}

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)), work_(asio::make_work_guard(ioc_)), drain_timer_(ioc_) {
  created_ = static_cast<int64_t>(std::time(nullptr));
  http_ = std::make_shared<HttpServer>(
      ioc_, options_.http, [this](const std::shared_ptr<Exchange>& ex) { handle(ex); },
      [this](const std::string& target, int status) { metrics_.count_request(endpoint_of(target), status); });
}

Server::~Server() {
  if (!io_threads_.empty()) {
    shutdown();
    wait();
  }
  if (batcher_) batcher_->stop();
  work_.reset();
  ioc_.stop();
  for (std::thread& t : io_threads_) t.join();
}

unsigned short Server::listen() {
  const unsigned short port = http_->listen(options_.host, options_.port);
  const int n = options_.io_threads < 1 ? 1 : options_.io_threads;
  for (int i = 0; i < n; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
  return port;
}

void Server::set_model(Backend& backend, const Tokenizer& tokenizer, Tracer* tracer) {
  const ModelConfig& c = backend.config();
  limits_.model_name = options_.model_name;
  limits_.hidden_size = c.hidden_size;
  limits_.vocab_size = c.vocab_size;
  limits_.max_inputs = options_.max_inputs_per_request;
  // Default: 8192 like `qwen3emb embed --max-tokens`, or the model's limit when that is lower.
  limits_.max_input_tokens = options_.max_input_tokens != 0 ? options_.max_input_tokens
                                                            : std::min<int64_t>(8192, c.max_position_embeddings);
  limits_.auto_truncate = options_.auto_truncate;
  if (limits_.max_input_tokens < 1 || limits_.max_input_tokens > c.max_position_embeddings) {
    throw InputError("--max-input-tokens must be 1.." + std::to_string(c.max_position_embeddings) +
                     " (the model's max_position_embeddings), got " + std::to_string(limits_.max_input_tokens));
  }
  tokenizer_ = &tokenizer;
  batcher_ = std::make_unique<Batcher>(backend, options_.batching, metrics_, tracer);
  served_vocab_ = c.vocab_size;
  State expected = State::loading;
  state_.compare_exchange_strong(expected, State::ready);  // unless already draining
}

void Server::stop_on_signals() {
  signals_ = std::make_unique<asio::signal_set>(ioc_, SIGINT, SIGTERM);
  signals_->async_wait([this](boost::system::error_code ec, int) {
    if (!ec) shutdown();
  });
}

void Server::shutdown() {
  asio::post(ioc_, [this] {
    if (state_.exchange(State::draining) == State::draining) return;
    if (signals_) signals_->cancel();
    http_->stop_accepting();
    drain_deadline_ = std::chrono::steady_clock::now() +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          std::chrono::duration<double>(options_.shutdown_timeout_s));
    poll_drained();
  });
}

// Every 10 ms: done when no request is read and unanswered and no admitted input is left.
void Server::poll_drained() {
  if (http_->busy() == 0 && metrics_.requests_in_flight == 0) return finish(true);
  if (std::chrono::steady_clock::now() >= drain_deadline_) return finish(false);
  drain_timer_.expires_after(std::chrono::milliseconds(10));
  drain_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) poll_drained();
  });
}

void Server::finish(bool clean) {
  std::lock_guard lock(done_mu_);
  done_ = true;
  clean_ = clean;
  done_cv_.notify_all();
}

bool Server::wait() {
  std::unique_lock lock(done_mu_);
  done_cv_.wait(lock, [&] { return done_; });
  return clean_;
}

void Server::handle(const std::shared_ptr<Exchange>& ex) {
  const auto target = ex->request.target();  // Boost's string_view in Beast 1.74
  const std::string path = path_of(std::string_view(target.data(), target.size()));
  const http::verb method = ex->request.method();
  auto only = [&](http::verb allowed) {
    if (method == allowed) return true;
    HttpResponse res = error_response(ApiError(405, "method " + std::string(ex->request.method_string()) + " is not allowed on " + path +
                                                   " (use " + std::string(http::to_string(allowed)) + ")",
                                               "invalid_request_error", "", "method_not_allowed"));
    res.set(http::field::allow, http::to_string(allowed));
    ex->respond(std::move(res));
    return false;
  };
  if (path == "/v1/embeddings" || path == "/embeddings") {
    if (only(http::verb::post)) handle_embeddings(ex);
  } else if (path == "/health") {
    if (!only(http::verb::get)) return;
    const State s = state_.load();
    const char* word = s == State::ready ? "ready" : s == State::loading ? "loading" : "draining";
    ex->respond(json_response(s == State::ready ? http::status::ok : http::status::service_unavailable,
                              std::string("{\"status\":\"") + word + "\"}"));
  } else if (path == "/metrics") {
    if (only(http::verb::get)) {
      ex->respond(make_response(http::status::ok, metrics_.text(), "text/plain; version=0.0.4; charset=utf-8"));
    }
  } else if (path == "/v1/models" || path == "/models") {
    if (only(http::verb::get)) ex->respond(json_response(http::status::ok, models_body(options_.model_name, created_, served_vocab_.load())));
  } else {
    ex->respond(error_response(ApiError(404, "no such endpoint: " + path +
                                                 " (POST /v1/embeddings, GET /v1/models, /health, /metrics)",
                                        "invalid_request_error", "", "not_found")));
  }
}

void Server::handle_embeddings(const std::shared_ptr<Exchange>& ex) {
  const State s = state_.load();
  if (s != State::ready) {
    ex->respond(error_response(ApiError(503, s == State::loading ? "the model is still loading" : "the server is shutting down",
                                        "server_error", "", "service_unavailable")));
    return;
  }
  EmbeddingsRequest request;
  std::vector<std::vector<int32_t>> ids;
  try {
    request = parse_embeddings_request(ex->request.body(), limits_);
    ids = input_token_ids(request, *tokenizer_, limits_);  // tokenised here, on the I/O thread
  } catch (const ApiError& e) {
    ex->respond(error_response(e));
    return;
  }
  int64_t tokens = 0;
  for (const auto& v : ids) tokens += static_cast<int64_t>(v.size());
  ex->request.body().clear();

  // Parked: the model thread's last delivery posts the answer back to the I/O threads.
  auto shared_request = std::make_shared<EmbeddingsRequest>(std::move(request));
  auto pending = std::make_shared<PendingRequest>(
      ids.size(), [this, ex, shared_request, tokens](const std::shared_ptr<PendingRequest>& p) {
        asio::post(ioc_, [this, ex, shared_request, tokens, p] {
          answer_embeddings(ex, *shared_request, tokens, *p);
          --metrics_.requests_in_flight;
        });
      });
  ++metrics_.requests_in_flight;
  if (!batcher_->submit(pending, std::move(ids))) {
    --metrics_.requests_in_flight;
    ex->respond(error_response(ApiError(429, "too many inputs in flight (--max-in-flight " +
                                                 std::to_string(options_.batching.max_in_flight) + "); retry later",
                                        "rate_limit_error", "", "rate_limit_exceeded")));
    return;
  }
  ex->on_disconnect = [this, weak = std::weak_ptr<PendingRequest>(pending)] {
    if (auto p = weak.lock()) batcher_->cancel(p);
  };
}

void Server::answer_embeddings(const std::shared_ptr<Exchange>& ex, const EmbeddingsRequest& request, int64_t tokens,
                               const PendingRequest& pending) {
  if (pending.cancelled()) {
    ex->respond(json_response(http::status::ok, "{}"));  // nobody is listening; the HTTP layer just closes
    return;
  }
  if (!pending.error.empty()) {
    ex->respond(error_response(ApiError(500, "the forward pass failed: " + pending.error, "server_error", "", "internal_error")));
    return;
  }
  std::vector<std::vector<float>> out;
  out.reserve(pending.embeddings.size());
  for (const auto& e : pending.embeddings) out.push_back(request.dimensions ? truncate_embedding(e, request.dimensions) : e);
  std::string body = embeddings_body(out, request.base64, options_.model_name, tokens);
  // Counted before the answer leaves, so that a client that scrapes /metrics next sees its request.
  metrics_.count_embeddings(static_cast<int64_t>(out.size()), tokens,
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - ex->received).count());
  ex->respond(json_response(http::status::ok, std::move(body)));
}

}  // namespace qwen3::serve
