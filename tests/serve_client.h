// A small HTTP client for the server's tests (Boost.Beast over loopback): every call runs on its own io_context
// with a deadline, so a server that never answers fails the test instead of hanging it.
#pragma once
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace qwen3::test {

namespace beast_http = boost::beast::http;

struct Reply {
  int status = 0;  // 0: no answer (the connection closed, or the deadline passed)
  std::string body;
  std::string error;  // why there is no answer
  beast_http::response<beast_http::string_body> message;
};

// The request's bytes as a client sends them.
inline std::string request_text(beast_http::verb method, const std::string& target, const std::string& body,
                                bool keep_alive = false) {
  beast_http::request<beast_http::string_body> req{method, target, 11};
  req.set(beast_http::field::host, "127.0.0.1");
  if (!body.empty() || method == beast_http::verb::post) {
    req.set(beast_http::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(keep_alive);
  req.prepare_payload();
  std::ostringstream os;
  os << req;
  return os.str();
}

// Sends `raw` bytes on a connected socket and reads one response, within `timeout_s`.
inline Reply exchange(boost::asio::ip::tcp::socket& socket, boost::asio::io_context& ioc, const std::string& raw,
                      double timeout_s = 20) {
  Reply r;
  boost::beast::flat_buffer buffer;
  bool done = false;
  boost::asio::async_write(socket, boost::asio::buffer(raw), [&](boost::system::error_code ec, size_t) {
    if (ec) {
      done = true;
      r.error = "write: " + ec.message();
      return;
    }
    beast_http::async_read(socket, buffer, r.message, [&](boost::system::error_code ec2, size_t) {
      done = true;
      if (ec2) r.error = "read: " + ec2.message();
      if (!ec2) {
        r.status = static_cast<int>(r.message.result_int());
        r.body = r.message.body();
      }
    });
  });
  ioc.restart();
  ioc.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(timeout_s)));
  if (!done) {
    r.error = "no answer within the deadline";
    boost::system::error_code ignored;
    socket.close(ignored);
    ioc.restart();
    ioc.run_for(std::chrono::seconds(1));
  }
  return r;
}

// One request on a fresh connection.
inline Reply call(unsigned short port, beast_http::verb method, const std::string& target, const std::string& body = "",
                  double timeout_s = 20) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  return exchange(socket, ioc, request_text(method, target, body), timeout_s);
}

inline Reply post_embeddings(unsigned short port, const std::string& body) {
  return call(port, beast_http::verb::post, "/v1/embeddings", body);
}

// Standard base64 -> bytes.
inline std::vector<uint8_t> base64_decode(const std::string& s) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = value(c);
    if (v < 0) continue;  // '=' padding
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace qwen3::test
