// The load generator's clients (apps/loadgen.h): Boost.Beast HTTP/1.1 over Boost.Asio, each client a C++20
// coroutine on one io_context. A client's loop reads like the protocol: connect once, then write a request, read
// its response, record the outcome, repeat; a closed or broken connection is opened again for the next request.
#include "apps/loadgen.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <utility>  // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace qwen3::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---- the URL ---------------------------------------------------------------------------------------

std::string Target::url() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "http://" + h + ":" + port + prefix;
}

Target parse_loopback_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    throw InputError("--url must start with http:// (plain HTTP on this machine), not '" + url + "'");
  }
  std::string rest = url.substr(scheme.size());
  const size_t slash = rest.find('/');
  Target t;
  if (slash != std::string::npos) {
    t.prefix = rest.substr(slash);
    rest.resize(slash);
    while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();  // http://h:p/ means no prefix
  }
  std::string port;
  if (!rest.empty() && rest[0] == '[') {  // [::1]:8080
    const size_t close = rest.find(']');
    if (close == std::string::npos) throw InputError("--url: unclosed '[' in '" + url + "'");
    t.host = rest.substr(1, close - 1);
    const std::string after = rest.substr(close + 1);
    if (!after.empty() && after[0] != ':') throw InputError("--url: expected ':PORT' after ']' in '" + url + "'");
    port = after.empty() ? "" : after.substr(1);
  } else {
    const size_t colon = rest.rfind(':');
    t.host = rest.substr(0, colon);
    port = colon == std::string::npos ? "" : rest.substr(colon + 1);
  }
  if (t.host != "127.0.0.1" && t.host != "localhost" && t.host != "::1") {
    throw InputError("--url: host '" + t.host + "' refused: the load generator only talks to this machine "
                     "(127.0.0.1, localhost or [::1])");
  }
  if (port.empty()) port = "80";
  int p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535) {
    throw InputError("--url: port must be a whole number from 1 to 65535, not '" + port + "'");
  }
  t.port = std::to_string(p);
  return t;
}

// ---- one HTTP exchange ----------------------------------------------------------------------------------

namespace {

enum class Failure { none, connect, unanswered, reset, timeout };

struct Exchange {
  Failure failure = Failure::none;
  std::string error;  // what failed, when it did
  http::response<http::string_body> response;
};

http::request<http::string_body> make_request(http::verb verb, const Target& t, const std::string& path,
                                              std::string body) {
  http::request<http::string_body> req{verb, t.prefix + path, 11};
  req.set(http::field::host, t.host.find(':') != std::string::npos ? "[" + t.host + "]:" + t.port
                                                                    : t.host + ":" + t.port);
  req.set(http::field::user_agent, "qwen3emb-loadgen");
  req.keep_alive(true);
  if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// Sends `req` on `stream` (connecting first when `open` is false) and reads the response, all within `timeout`.
// On failure the connection is closed and `open` cleared, so the next call connects again.
asio::awaitable<Exchange> exchange(beast::tcp_stream& stream, bool& open, const tcp::resolver::results_type& endpoints,
                                   const http::request<http::string_body>& req, beast::flat_buffer& buffer,
                                   Clock::duration timeout) {
  Exchange x;
  beast::error_code ec;
  stream.expires_after(timeout);
  if (!open) {
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      x.failure = ec == beast::error::timeout ? Failure::timeout : Failure::connect;
      x.error = "connect: " + ec.message();
      stream.socket().close(ec);
      co_return x;
    }
    open = true;
    buffer.clear();
    stream.socket().set_option(tcp::no_delay(true), ec);  // a request goes out at once, not after Nagle's wait
  }
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);  // an 8B model's float embeddings for many inputs run to megabytes
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) x.response = parser.release();
    if (ec && ec != beast::error::timeout && !parser.got_some() && buffer.size() == 0) {
      // Closed before the first byte of an answer: the server shut the connection (or exited) without reading
      // this request, as a draining server does to a connection it saw idle. HTTP clients send it again.
      x.failure = Failure::unanswered;
    }
  } else if (ec != beast::error::timeout) {
    x.failure = Failure::unanswered;  // the server had closed the connection: the request never reached it
  }
  if (ec && x.failure == Failure::none) x.failure = ec == beast::error::timeout ? Failure::timeout : Failure::reset;
  if (ec) x.error = ec.message();
  if (ec || !x.response.keep_alive()) {  // broken, or the server said Connection: close (it does while draining)
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    open = false;
  }
  co_return x;
}

// True when a 200's body holds `inputs` embeddings of one width in the encoding asked for, and its usage counts
// the tokens sent.
bool well_formed(const std::string& body, const LevelSpec& spec) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("data") || !j["data"].is_array()) return false;
  const auto& data = j["data"];
  if (static_cast<int64_t>(data.size()) != spec.inputs_per_request) return false;
  size_t width = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    const auto& item = data[i];
    if (!item.is_object() || !item.contains("embedding") || item.value("index", -1) != static_cast<int>(i)) return false;
    const auto& e = item["embedding"];
    size_t n = 0;
    if (spec.encoding == "float") {
      if (!e.is_array()) return false;
      n = e.size();
    } else {  // base64 of little-endian float32: 4 characters per 3 bytes
      if (!e.is_string() || e.get_ref<const std::string&>().size() % 4 != 0) return false;
      const std::string& s = e.get_ref<const std::string&>();
      const size_t pad = s.empty() ? 0 : (s.back() == '=') + (s.size() > 1 && s[s.size() - 2] == '=');
      const size_t bytes = s.size() / 4 * 3 - pad;
      if (bytes % 4 != 0) return false;
      n = bytes / 4;
    }
    if (n == 0 || (width != 0 && n != width)) return false;
    width = n;
  }
  if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("prompt_tokens")) {
    const auto& t = j["usage"]["prompt_tokens"];
    if (!t.is_number_integer() || t.get<int64_t>() != spec.inputs_per_request * spec.tokens) return false;
  }
  return true;
}

// The level's shared counters: which request comes next (warm-up, timed, or none), and the results.
struct Level {
  const LevelSpec& spec;
  const Target& target;
  const tcp::resolver::results_type& endpoints;
  LevelResult& result;
  int64_t warmup_left = 0;
  bool timing = false;
  Clock::time_point start, last_end;

  enum class Ticket { warmup, timed, stop };
  Ticket next() {
    if (warmup_left > 0) {
      --warmup_left;
      return Ticket::warmup;
    }
    const Clock::time_point now = Clock::now();
    if (!timing) timing = true, start = now, last_end = now;
    if (result.sent >= spec.max_requests || now - start >= std::chrono::duration<double>(spec.max_seconds)) {
      return Ticket::stop;
    }
    ++result.sent;
    return Ticket::timed;
  }

  void record(const Exchange& x, Clock::time_point t0, Clock::time_point t1) {
    last_end = std::max(last_end, t1);
    LevelResult& r = result;
    switch (x.failure) {
      case Failure::connect: ++r.connect_errors; break;
      case Failure::unanswered: ++r.unanswered; break;
      case Failure::reset: ++r.resets; break;
      case Failure::timeout: ++r.timeouts; break;
      case Failure::none: {
        const int status = static_cast<int>(x.response.result_int());
        ++r.statuses[status];
        if (status != 200) break;
        if (!well_formed(x.response.body(), spec)) {
          ++r.invalid;
          if (r.first_error.empty()) r.first_error = "200 with a malformed body: " + x.response.body().substr(0, 200);
          return;
        }
        ++r.ok;
        r.latencies_s.push_back(std::chrono::duration<double>(t1 - t0).count());
        return;
      }
    }
    if (r.first_error.empty()) r.first_error = x.error;
  }
};

// One closed-loop client: its own connection and its own seeded stream of ids.
asio::awaitable<void> client(Level& level, uint64_t client_index) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  beast::flat_buffer buffer;
  bool open = false;
  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(level.spec.timeout_s));
  for (uint64_t n = 0;; ++n) {
    const Level::Ticket ticket = level.next();
    if (ticket == Level::Ticket::stop) break;
    const auto req = make_request(http::verb::post, level.target, "/v1/embeddings",
                                  request_body(level.spec, client_index, n));
    const Clock::time_point t0 = Clock::now();
    const Exchange x = co_await exchange(stream, open, level.endpoints, req, buffer, timeout);
    const Clock::time_point t1 = Clock::now();
    if (ticket == Level::Ticket::timed) level.record(x, t0, t1);
    if (x.failure == Failure::connect || x.failure == Failure::unanswered) {  // a draining server: pause, not spin
      asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::use_awaitable);
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

tcp::resolver::results_type resolve(asio::io_context& io, const Target& t) {
  tcp::resolver resolver(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(t.host, t.port, ec);
  if (ec) throw Error("cannot resolve " + t.url() + ": " + ec.message());
  return endpoints;
}

}  // namespace

// ---- GET /v1/models ----------------------------------------------------------------------------------------

ServedModel query_models(const Target& target, double timeout_s) {
  asio::io_context io;
  const auto endpoints = resolve(io, target);
  std::optional<Exchange> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        beast::tcp_stream stream(co_await asio::this_coro::executor);
        beast::flat_buffer buffer;
        bool open = false;
        const auto req = make_request(http::verb::get, target, "/v1/models", "");
        got = co_await exchange(stream, open, endpoints, req, buffer,
                                std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s)));
      },
      asio::detached);
  io.run();
  const std::string where = "GET " + target.url() + "/v1/models";
  if (!got || got->failure != Failure::none) {
    throw Error("cannot reach the server: " + where + ": " + (got ? got->error : std::string("no answer")));
  }
  const auto& res = got->response;
  if (res.result_int() != 200) {
    throw Error(where + " answered HTTP " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 200));
  }
  const auto j = nlohmann::json::parse(res.body(), nullptr, false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
      !j["data"][0].is_object() || !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
    throw Error(where + " answered no model list ({\"data\": [{\"id\": ...}]}): " + res.body().substr(0, 200));
  }
  ServedModel m;
  m.id = j["data"][0]["id"].get<std::string>();
  const auto& v = j["data"][0].value("vocab_size", nlohmann::json());
  if (v.is_number_integer() && v.get<int64_t>() > 0) m.vocab_size = v.get<int64_t>();
  return m;
}

// ---- a level --------------------------------------------------------------------------------------

std::string request_body(const LevelSpec& spec, uint64_t stream_seed, uint64_t request_index) {
  std::seed_seq seq{static_cast<uint32_t>(spec.seed), static_cast<uint32_t>(spec.seed >> 32),
                    static_cast<uint32_t>(stream_seed), static_cast<uint32_t>(request_index),
                    static_cast<uint32_t>(request_index >> 32)};
  std::mt19937_64 rng(seq);
  std::uniform_int_distribution<int64_t> id(0, spec.vocab_size - 1);
  std::string body = "{\"input\":[";
  body.reserve(static_cast<size_t>(spec.inputs_per_request * spec.tokens * 7 + 100));
  char digits[24];
  for (int64_t i = 0; i < spec.inputs_per_request; ++i) {
    body.append(i == 0 ? "[" : ",[");
    for (int64_t t = 0; t < spec.tokens; ++t) {
      if (t > 0) body.push_back(',');
      const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, id(rng));
      body.append(digits, end);
    }
    body.push_back(']');
  }
  body.append("],\"encoding_format\":\"").append(spec.encoding).append("\"");
  if (!spec.model.empty()) body.append(",\"model\":").append(nlohmann::json(spec.model).dump());
  body.append("}");
  return body;
}

LevelResult run_level(const Target& target, const LevelSpec& spec) {
  if (spec.vocab_size < 1) throw InputError("loadgen: the vocabulary size is unknown (give --vocab)");
  asio::io_context io;
  const auto endpoints = resolve(io, target);
  LevelResult result;
  result.spec = spec;
  Level level{spec, target, endpoints, result, spec.warmup * spec.concurrency, false, {}, {}};
  for (int64_t c = 0; c < spec.concurrency; ++c) {
    asio::co_spawn(io, client(level, static_cast<uint64_t>(c)), asio::detached);
  }
  io.run();  // returns when every client has stopped
  if (level.timing) result.seconds = std::chrono::duration<double>(level.last_end - level.start).count();
  return result;
}

// ---- figures ---------------------------------------------------------------------------------------------

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // x = v[floor(r)] + (r - floor(r))·(v[floor(r)+1] - v[floor(r)]),  r = p/100·(n-1)
  const double r = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(r));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (r - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double LevelResult::requests_per_s() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
double LevelResult::embeddings_per_s() const { return requests_per_s() * static_cast<double>(spec.inputs_per_request); }
double LevelResult::input_tokens_per_s() const { return embeddings_per_s() * static_cast<double>(spec.tokens); }
double LevelResult::latency_ms(double p) const { return percentile(latencies_s, p) * 1e3; }

std::string LevelResult::outcome_summary() const {
  std::string s;
  auto add = [&s](const std::string& name, int64_t n) {
    if (n == 0) return;
    if (!s.empty()) s.push_back(' ');
    s.append(name).append(":").append(std::to_string(n));
  };
  for (const auto& [status, n] : statuses) add(std::to_string(status), n);
  add("invalid", invalid);
  add("connect", connect_errors);
  add("unanswered", unanswered);
  add("reset", resets);
  add("timeout", timeouts);
  return s.empty() ? "-" : s;
}

}  // namespace qwen3::loadgen
