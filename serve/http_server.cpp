#include "serve/http_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "core/error.h"
#include "serve/response.h"

namespace qwen3::serve {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

HttpResponse make_response(http::status status, std::string body, const std::string& content_type, unsigned version) {
  HttpResponse res{status, version};
  res.set(http::field::server, "qwen3emb");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

namespace {

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

HttpResponse refusal(http::status status, const std::string& message, const std::string& code) {
  const ApiError e(static_cast<int>(status), message, "invalid_request_error", "", code);
  HttpResponse res = make_response(status, error_body(e), "application/json");
  res.keep_alive(false);
  return res;
}

}  // namespace

// One connection: reads requests one after another, hands each to the handler, writes its answer.
class HttpServer::Session : public std::enable_shared_from_this<HttpServer::Session> {
 public:
  Session(std::shared_ptr<HttpServer> server, tcp::socket socket)
      : server_(std::move(server)), socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  // Waiting for a request is the keep-alive timeout (a new connection is idle too); its body, the read timeout.
  void start() { read_header(server_->limits_.keep_alive_timeout_s); }

 private:
  // The timer cancels the pending read when it fires; the read's handler sees timed_out_.
  void arm_timer(double s) {
    timed_out_ = false;
    const uint64_t generation = ++timer_generation_;
    timer_.expires_after(seconds(s));
    timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
      // cancelled, or fired for an operation that has finished since: nothing to cut
      if (ec || generation != self->timer_generation_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  void disarm_timer() {
    ++timer_generation_;
    timer_.cancel();
  }

  void read_header(double timeout_s) {
    parser_.emplace();
    parser_->body_limit(server_->limits_.max_body_bytes);
    parser_->header_limit(16 * 1024);
    arm_timer(timeout_s);
    http::async_read_header(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
      self->disarm_timer();
      if (ec) return self->read_failed(ec, /*started=*/self->buffer_.size() > 0);
      self->read_body();
    });
  }

  void read_body() {
    arm_timer(server_->limits_.read_timeout_s);
    http::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, size_t) {
      self->disarm_timer();
      if (ec) return self->read_failed(ec, /*started=*/true);
      self->dispatch();
    });
  }

  // A read ended without a whole request: answer when the client deserves one, else just close.
  void read_failed(error_code ec, bool started) {
    if (timed_out_) {
      if (!started) return close();  // an idle keep-alive connection
      return refuse(refusal(http::status::request_timeout,
                            "the request did not arrive whole within the read timeout (--read-timeout-s)", "timeout"));
    }
    if (ec == http::error::body_limit) {
      return refuse(refusal(http::status::payload_too_large,
                            "the request body is over " + std::to_string(server_->limits_.max_body_bytes) +
                                " bytes (--max-body-bytes)", "request_too_large"));
    }
    if (ec == http::error::header_limit) {
      return refuse(refusal(http::status::request_header_fields_too_large, "the request headers are over 16 KiB",
                            "headers_too_large"));
    }
    // The parser's own errors (not HTTP/1.x, a bad header...) get a 400; a socket that closed or failed (the
    // client left, mid-message or between requests) has nobody to answer.
    const bool http_error = ec.category() == http::make_error_code(http::error::bad_target).category();
    if (!http_error || ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    refuse(refusal(http::status::bad_request, std::string("malformed HTTP request: ") + ec.message(), "bad_http"));
  }

  void dispatch() {
    ++server_->busy_;
    auto ex = std::make_shared<Exchange>();
    ex->request = parser_->release();
    ex->received = std::chrono::steady_clock::now();
    exchange_ = ex;
    answered_ = false;
    ex->respond = [self = shared_from_this()](HttpResponse res) {
      asio::post(self->socket_.get_executor(),
                 [self, res = std::move(res)]() mutable { self->answer(std::move(res)); });
    };
    server_->handler_(ex);
    watch_for_disconnect();
  }

  // While the application works: a socket that turns readable with end-of-stream (or an error) means the client
  // closed it. Peeking tells that apart from early bytes of a next request (pipelining: stop watching) and from a
  // stale readiness event of the request already read (nothing there yet: watch on).
  void watch_for_disconnect() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (ec == asio::error::operation_aborted || self->answered_) return;
      char byte = 0;
      const ssize_t n = ec ? -1 : ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;  // pipelined bytes: read after this answer
      if (n < 0 && !ec && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return self->watch_for_disconnect();
      self->client_gone_ = true;
      if (self->exchange_ && self->exchange_->on_disconnect) self->exchange_->on_disconnect();
    });
  }

  void answer(HttpResponse res) {
    if (answered_) return;
    answered_ = true;
    error_code ignored;
    socket_.cancel(ignored);  // the disconnect watch
    const std::string target(exchange_->request.target());
    const bool keep_alive = exchange_->request.keep_alive() && res.keep_alive() && !server_->draining();
    res.version(exchange_->request.version());
    res.keep_alive(keep_alive);
    exchange_.reset();
    server_->on_answer_(target, static_cast<int>(res.result_int()));
    if (client_gone_) {
      --server_->busy_;
      return close();
    }
    write(std::move(res), /*counted=*/true);
  }

  // Answers a request the HTTP layer refused itself, then closes.
  void refuse(HttpResponse res) {
    server_->on_answer_("", static_cast<int>(res.result_int()));
    write(std::move(res), /*counted=*/false);
  }

  void write(HttpResponse res, bool counted) {
    response_ = std::make_shared<HttpResponse>(std::move(res));
    arm_timer(server_->limits_.read_timeout_s);  // a client that never reads its answer is cut off too
    http::async_write(socket_, *response_, [self = shared_from_this(), counted](error_code ec, size_t) {
      self->disarm_timer();
      if (counted) --self->server_->busy_;
      const bool keep_alive = self->response_->keep_alive();
      self->response_.reset();
      if (ec) return self->close();
      if (!keep_alive) return self->linger_close();
      self->read_header(self->server_->limits_.keep_alive_timeout_s);
    });
  }

  // Closes gracefully: no more sending, then read (and discard) what the client still sends for up to a second, so
  // that it gets our answer rather than a reset.
  void linger_close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm_timer(1.0);
    drain();
  }
  void drain() {
    socket_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](error_code ec, size_t) {
      if (ec) {
        self->disarm_timer();
        return self->close();
      }
      self->drain();
    });
  }

  void close() {
    error_code ignored;
    disarm_timer();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  std::shared_ptr<HttpServer> server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Exchange> exchange_;
  std::shared_ptr<HttpResponse> response_;
  std::array<char, 4096> scratch_{};
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool answered_ = true;
  bool client_gone_ = false;
};

HttpServer::HttpServer(asio::io_context& ioc, HttpLimits limits, Handler handler,
                       std::function<void(const std::string&, int)> on_answer)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), limits_(limits), handler_(std::move(handler)),
      on_answer_(std::move(on_answer)) {}

unsigned short HttpServer::listen(const std::string& host, unsigned short port) {
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) throw InputError("--host: '" + host + "' is not an IP address (" + ec.message() + ")");
  const tcp::endpoint endpoint(address, port);
  const std::string where = host + ":" + std::to_string(port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw IoError("cannot listen on " + where + ": " + ec.message());
  accept();
  return acceptor_.local_endpoint().port();
}

void HttpServer::stop_accepting() {
  draining_ = true;
  asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), [self = shared_from_this()](error_code ec, tcp::socket socket) {
    if (self->draining_ || !self->acceptor_.is_open()) return;
    if (!ec) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(self, std::move(socket))->start();
    }
    // EMFILE and the like: keep accepting (the failed connection is gone)
    self->accept();
  });
}

}  // namespace qwen3::serve
