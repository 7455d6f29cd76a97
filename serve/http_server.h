// The HTTP layer on Boost.Beast + Asio: accepts connections, reads requests with their limits and timeouts, hands
// each complete request to the application, and writes its answer whenever it comes. Asynchronous throughout:
// a connection holds no thread; a few I/O threads run every connection's handlers, each connection on its own
// strand (so its handlers never run concurrently).
//
//   accept -> read header (keep-alive timeout) -> read body (read timeout, body limit) -> Handler(exchange) ... exchange->respond(response) from any thread -> write -> next request
//
// While the application works on a request, the connection watches its socket: a client that disconnects is
// reported through exchange->on_disconnect (the server then drops its queued inputs).
// Refusals the HTTP layer makes itself: 408 (a request not finished within the read timeout), 413 (body over the
// limit), 431 (headers over 16 KiB), 400 (not HTTP/1.x); each with an error body, then the connection closes.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace qwen3::serve {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// One request in flight between the HTTP layer and the application.
struct Exchange {
  HttpRequest request;
  std::chrono::steady_clock::time_point received;  // when the request was read completely
  // Sends the answer; call exactly once, from any thread (it is posted to the connection's strand).
  std::function<void(HttpResponse)> respond;
  // Set by the application (on the strand, inside the Handler) to hear that the client went away before the answer.
  std::function<void()> on_disconnect;
};
using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

struct HttpLimits {
  size_t max_body_bytes = 4 << 20;
  double read_timeout_s = 30;        // a started request must arrive whole within this
  double keep_alive_timeout_s = 60;  // an idle connection between requests is closed after this
};

// An HTTP/1.1 response with a body and the usual headers.
HttpResponse make_response(http::status status, std::string body, const std::string& content_type,
                           unsigned version = 11);

class HttpServer : public std::enable_shared_from_this<HttpServer> {
 public:
  // `on_answer(target, status)` is called for every response written (metrics).
  HttpServer(boost::asio::io_context& ioc, HttpLimits limits, Handler handler,
             std::function<void(const std::string& target, int status)> on_answer);
  // Binds and listens (port 0: a free port); throws IoError naming the address when it cannot.
  unsigned short listen(const std::string& host, unsigned short port);
  // Stops accepting; the answers still to come say Connection: close.
  void stop_accepting();
  bool draining() const { return draining_.load(); }
  // Requests read completely and not yet answered (their answer not yet written).
  int busy() const { return busy_.load(); }

 private:
  class Session;
  void accept();

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const HttpLimits limits_;
  const Handler handler_;
  const std::function<void(const std::string&, int)> on_answer_;
  std::atomic<bool> draining_{false};
  std::atomic<int> busy_{0};
};

}  // namespace qwen3::serve
