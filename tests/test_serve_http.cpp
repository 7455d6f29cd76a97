// The server end to end, in process: a Server on port 0 over the tiny model on the CPU backend, called through a
// Beast client (tests/serve_client.h). Every endpoint and status code, the timeouts, clients that leave, many
// connections at once, batching that changes no number, and graceful shutdown.
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/embed.h"
#include "ref_cpu/cpu_backend.h"
#include "serve/response.h"
#include "serve/server.h"
#include "serve_client.h"
#include "test_util.h"

using namespace qwen3;
using namespace qwen3::serve;
using nlohmann::json;
using test::Reply;
using verb = boost::beast::http::verb;

namespace {

struct Model {
  std::unique_ptr<cpu::CpuBackend> backend;
  std::unique_ptr<Tokenizer> tokenizer;
};

Model& model() {
  static Model m = [] {
    Model x;
    x.backend = cpu::CpuBackend::from_dir(test::tiny_model_dir());
    x.tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_dir(test::tiny_model_dir()));
    return x;
  }();
  return m;
}

ServerOptions small_options() {
  ServerOptions o;
  o.model_name = "tiny-qwen3";
  o.http.read_timeout_s = 0.5;
  o.http.keep_alive_timeout_s = 5;
  o.http.max_body_bytes = 256 * 1024;
  o.max_inputs_per_request = 100;
  o.max_input_tokens = 64;
  o.shutdown_timeout_s = 20;
  return o;
}

// The tiny model, but every forward pass takes at least 3 ms: a request of many inputs stays in flight a while.
class SlowBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  const ModelConfig& config() const override { return model().backend->config(); }
  ForwardOutput forward(const Batch& batch, const ForwardOptions& options) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    return model().backend->forward(batch, options);
  }
};

// A started server over the tiny model.
struct Running {
  explicit Running(ServerOptions o = small_options(), bool slow = false) : server(std::move(o)) {
    port = server.listen();
    if (slow) server.set_model(slow_, *model().tokenizer);
    else server.set_model(*model().backend, *model().tokenizer);
  }
  SlowBackend slow_;  // before the server, which runs passes on it until it is destroyed
  Server server;
  unsigned short port = 0;
};

std::vector<float> floats_of(const json& e) {
  if (e.is_string()) {
    const std::vector<uint8_t> bytes = test::base64_decode(e.get<std::string>());
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
  }
  return e.get<std::vector<float>>();
}

// The embeddings of a 200 answer, in index order.
std::vector<std::vector<float>> embeddings_of(const Reply& r) {
  EXPECT_EQ(r.status, 200) << r.body << r.error;
  std::vector<std::vector<float>> out;
  if (r.status != 200) return out;
  const json j = json::parse(r.body);
  for (size_t i = 0; i < j["data"].size(); ++i) {
    EXPECT_EQ(j["data"][i]["index"], i);
    out.push_back(floats_of(j["data"][i]["embedding"]));
  }
  return out;
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

void expect_error(const Reply& r, int status, const std::string& code = "") {
  EXPECT_EQ(r.status, status) << r.body;
  if (r.status == 0) return;
  const json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  ASSERT_TRUE(j.contains("error")) << r.body;
  EXPECT_TRUE(j["error"]["message"].is_string());
  EXPECT_TRUE(j["error"]["type"].is_string());
  EXPECT_TRUE(j["error"].contains("param"));
  if (!code.empty()) {
    EXPECT_EQ(j["error"]["code"], code) << r.body;
  }
}

void expect_healthy(unsigned short port) {
  const Reply h = test::call(port, verb::get, "/health");
  EXPECT_EQ(h.status, 200) << h.body;
}

std::vector<Embedding> reference(const std::vector<std::string>& texts, int64_t max_tokens = 8192) {
  EmbedOptions opt;
  opt.max_tokens = max_tokens;
  return embed_texts(*model().backend, *model().tokenizer, texts, opt, [](const std::string&) {});
}

class ServeHttp : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(test::tiny_model_dir()); }
};

}  // namespace

TEST_F(ServeHttp, EmbeddingsEqualEmbedTextsInFloatAndBase64) {
  Running s;
  const std::vector<std::string> texts = {"Hello, world", "The capital of China is Beijing.", "x"};
  const auto ref = reference(texts);
  for (const char* format : {"float", "base64"}) {
    SCOPED_TRACE(format);
    const Reply r = test::post_embeddings(s.port, json{{"input", texts}, {"model", "tiny-qwen3"}, {"encoding_format", format}}.dump());
    const auto got = embeddings_of(r);
    ASSERT_EQ(got.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_LE(max_abs_diff(got[i], ref[i].values), 1e-6) << i;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["object"], "list");
    EXPECT_EQ(j["model"], "tiny-qwen3");
    int64_t tokens = 0;
    for (const auto& e : ref) tokens += e.tokens;
    EXPECT_EQ(j["usage"]["prompt_tokens"], tokens);
    EXPECT_EQ(j["usage"]["total_tokens"], tokens);
  }
  // The /embeddings alias, one string, Matryoshka dimensions and the instruction extension.
  const auto one = embeddings_of(test::call(s.port, verb::post, "/embeddings", json{{"input", "x"}, {"dimensions", 16}}.dump()));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_LE(max_abs_diff(one[0], truncate_embedding(ref[2].values, 16)), 1e-6);
  const auto query = embeddings_of(test::post_embeddings(s.port, json{{"input", "x"}, {"instruction", "Find it"}}.dump()));
  ASSERT_EQ(query.size(), 1u);
  EXPECT_LE(max_abs_diff(query[0], reference({format_query("Find it", "x")})[0].values), 1e-6);
}

TEST_F(ServeHttp, TokenIdInputsAreEmbeddedAsGiven) {
  Running s;
  const std::vector<int32_t> ids = {9707, 11, 1879, kEndOfTextId};
  const auto got = embeddings_of(test::post_embeddings(s.port, json{{"input", {ids, std::vector<int32_t>{42}}}}.dump()));
  ASSERT_EQ(got.size(), 2u);
  const ForwardOutput fwd = model().backend->forward(Batch::pack({ids, {42}}));
  const int64_t H = model().backend->config().hidden_size;
  EXPECT_LE(max_abs_diff(got[0], std::vector<float>(fwd.embeddings.begin(), fwd.embeddings.begin() + H)), 1e-6);
  EXPECT_LE(max_abs_diff(got[1], std::vector<float>(fwd.embeddings.begin() + H, fwd.embeddings.end())), 1e-6);
}

TEST_F(ServeHttp, OtherEndpoints) {
  Running s;
  const Reply h = test::call(s.port, verb::get, "/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(json::parse(h.body)["status"], "ready");
  const Reply m = test::call(s.port, verb::get, "/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(json::parse(m.body)["data"][0]["id"], "tiny-qwen3");
  EXPECT_EQ(json::parse(m.body)["data"][0]["object"], "model");
  EXPECT_EQ(json::parse(m.body)["data"][0]["vocab_size"], 151669);  // the tiny model's embedding rows
  embeddings_of(test::post_embeddings(s.port, R"({"input":["a","bb"]})"));
  const Reply metrics = test::call(s.port, verb::get, "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* name : {"qwen3emb_requests_total{endpoint=\"embeddings\",status=\"200\"", "qwen3emb_input_tokens_total ",
                           "qwen3emb_queue_size ", "qwen3emb_batch_size_bucket", "qwen3emb_batch_tokens_bucket",
                           "qwen3emb_queue_latency_seconds_bucket", "qwen3emb_inference_latency_seconds_count",
                           "qwen3emb_request_latency_seconds_sum"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
  EXPECT_NE(metrics.body.find("qwen3emb_inputs_total 2\n"), std::string::npos) << metrics.body;
  expect_error(test::call(s.port, verb::get, "/nope"), 404, "not_found");
  const Reply wrong = test::call(s.port, verb::get, "/v1/embeddings");
  expect_error(wrong, 405, "method_not_allowed");
  EXPECT_EQ(wrong.message[boost::beast::http::field::allow], "POST");
  expect_error(test::call(s.port, verb::post, "/health", "{}"), 405);
}

TEST_F(ServeHttp, EveryBadInputGetsItsStatusAndTheServerServesOn) {
  Running s;
  const std::pair<std::string, int> cases[] = {
      {"{not json", 400},
      {R"({"input":5})", 400},
      {R"({"input":[]})", 400},
      {R"({"input":""})", 400},
      {R"({"input":[151669]})", 400},
      {R"({"input":[-1]})", 400},
      {R"({"input":"a","dimensions":0})", 400},
      {R"({"input":"a","dimensions":65})", 400},
      {R"({"input":"a","encoding_format":"int8"})", 400},
      {R"({"input":"a","model":"gpt-4"})", 404},
      {json{{"input", std::vector<std::string>(101, "a")}}.dump(), 413},
  };
  for (const auto& [body, status] : cases) {
    SCOPED_TRACE(body.substr(0, 80));
    expect_error(test::post_embeddings(s.port, body), status);
  }
  std::string words;
  for (int i = 0; i < 100; ++i) words += " word" + std::to_string(i);
  expect_error(test::post_embeddings(s.port, json{{"input", words}}.dump()), 400, "context_length_exceeded");
  expect_error(test::post_embeddings(s.port, json{{"input", std::vector<int>(65, 7)}}.dump()), 400, "context_length_exceeded");
  // A body over --max-body-bytes.
  expect_error(test::post_embeddings(s.port, json{{"input", std::string(300 * 1024, 'a')}}.dump()), 413);
  expect_healthy(s.port);
  embeddings_of(test::post_embeddings(s.port, R"({"input":"still here"})"));
}

TEST_F(ServeHttp, AutoTruncateCutsAsEmbedDoes) {
  ServerOptions o = small_options();
  o.auto_truncate = true;
  Running s(o);
  std::string words;
  for (int i = 0; i < 100; ++i) words += " word" + std::to_string(i);
  const auto got = embeddings_of(test::post_embeddings(s.port, json{{"input", words}}.dump()));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LE(max_abs_diff(got[0], reference({words}, 64)[0].values), 1e-6);
  const Reply r = test::post_embeddings(s.port, json{{"input", words}}.dump());
  EXPECT_EQ(json::parse(r.body)["usage"]["prompt_tokens"], 64);
}

TEST_F(ServeHttp, LoadingAnswers503) {
  Server server(small_options());
  const unsigned short port = server.listen();
  const Reply h = test::call(port, verb::get, "/health");
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(json::parse(h.body)["status"], "loading");
  expect_error(test::post_embeddings(port, R"({"input":"a"})"), 503, "service_unavailable");
}

TEST_F(ServeHttp, HalfBodyStallGets408) {
  Running s;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket socket(ioc);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), s.port});
  const std::string raw = "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100\r\n\r\n{\"input\":";
  const auto t0 = std::chrono::steady_clock::now();
  const Reply r = test::exchange(socket, ioc, raw, 10);
  expect_error(r, 408, "timeout");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  expect_healthy(s.port);
}

TEST_F(ServeHttp, ClientsThatLeaveAreForgotten) {
  ServerOptions o = small_options();
  o.batching.max_batch_tokens = 16;  // one input per pass: the big request stays queued a while
  Running s(o, /*slow=*/true);
  namespace asio = boost::asio;
  {  // half a body, then gone
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), s.port});
    const std::string raw = "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inp";
    asio::write(socket, asio::buffer(raw));
    socket.close();
  }
  {  // a whole request of 100 inputs (300 ms of passes at least), then gone before the answer
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), s.port});
    std::vector<std::string> texts;
    for (int i = 0; i < 100; ++i) texts.push_back("a text that takes a few tokens, number " + std::to_string(i));
    asio::write(socket, asio::buffer(test::request_text(verb::post, "/v1/embeddings", json{{"input", texts}}.dump())));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    socket.close();
  }
  // Everything admitted is accounted for: nothing stays in flight, and the server serves on.
  for (int i = 0; i < 500 && s.server.metrics().inputs_in_flight.load() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(s.server.metrics().inputs_in_flight.load(), 0);
  EXPECT_EQ(s.server.metrics().queue_size.load(), 0);
  EXPECT_GT(s.server.metrics().inputs_dropped(), 0u);  // the second client's inputs were not all run
  embeddings_of(test::post_embeddings(s.port, R"({"input":"still here"})"));
}

TEST_F(ServeHttp, ManyConnectionsAtOnce) {
  Running s;
  namespace asio = boost::asio;
  constexpr int kConnections = 1000;
  asio::io_context ioc;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> sockets;
  for (int i = 0; i < kConnections; ++i) {
    sockets.push_back(std::make_unique<asio::ip::tcp::socket>(ioc));
    sockets.back()->connect({asio::ip::make_address("127.0.0.1"), s.port});
  }
  // All open; now each asks for /health, all at once.
  const std::string raw = test::request_text(verb::get, "/health", "");
  std::vector<boost::beast::flat_buffer> buffers(kConnections);
  std::vector<boost::beast::http::response<boost::beast::http::string_body>> replies(kConnections);
  std::atomic<int> ok{0};
  for (int i = 0; i < kConnections; ++i) {
    asio::async_write(*sockets[i], asio::buffer(raw), [&, i](boost::system::error_code ec, size_t) {
      if (ec) return;
      boost::beast::http::async_read(*sockets[i], buffers[i], replies[i], [&, i](boost::system::error_code ec2, size_t) {
        if (!ec2 && replies[i].result_int() == 200) ++ok;
      });
    });
  }
  ioc.run_for(std::chrono::seconds(30));
  EXPECT_EQ(ok.load(), kConnections);
  sockets.clear();
  expect_healthy(s.port);
}

TEST_F(ServeHttp, BatchingChangesNothing) {
  Running s;
  constexpr int kClients = 64;
  std::vector<std::string> texts;
  for (int i = 0; i < kClients; ++i) {
    std::string t = "client " + std::to_string(i) + " says";
    for (int k = 0; k < i % 7; ++k) t += " more words";
    texts.push_back(t);
  }
  // One at a time: each request is a batch of one.
  std::vector<std::vector<float>> alone;
  for (const std::string& t : texts) alone.push_back(embeddings_of(test::post_embeddings(s.port, json{{"input", t}}.dump())).at(0));
  // All at once: the batcher packs them together.
  std::vector<std::vector<float>> together(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      const auto e = embeddings_of(test::post_embeddings(s.port, json{{"input", texts[i]}}.dump()));
      if (e.size() == 1) together[i] = e[0];
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kClients; ++i) EXPECT_LE(max_abs_diff(together[i], alone[i]), 1e-5) << i;
  // And batching did happen: some forward pass had more than one input.
  const Reply m = test::call(s.port, verb::get, "/metrics");
  EXPECT_LT(s.server.metrics().batches_total(), static_cast<uint64_t>(2 * kClients)) << m.body;
}

TEST_F(ServeHttp, OverTheInFlightLimitGets429) {
  ServerOptions o = small_options();
  o.batching.max_in_flight = 4;
  o.batching.max_batch_tokens = 16;  // slow the big request down: one input per pass
  Running s(o, /*slow=*/true);
  std::vector<std::string> texts(100, "a text of several tokens to keep the model busy");
  std::thread big([&] { embeddings_of(test::post_embeddings(s.port, json{{"input", texts}}.dump())); });
  for (int i = 0; i < 500 && s.server.metrics().requests_in_flight.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int rejected = 0, other = 0;
  for (int i = 0; i < 200 && rejected == 0; ++i) {
    const Reply r = test::post_embeddings(s.port, R"({"input":"small"})");
    if (r.status == 429) {
      ++rejected;
      expect_error(r, 429, "rate_limit_exceeded");
      EXPECT_EQ(r.message[boost::beast::http::field::retry_after], "1");
    } else if (r.status != 200) {
      ++other;
    }
  }
  big.join();
  EXPECT_GE(rejected, 1);
  EXPECT_EQ(other, 0);
}

TEST_F(ServeHttp, ShutdownAnswersWhatWasAdmitted) {
  ServerOptions o = small_options();
  o.batching.max_batch_tokens = 16;
  auto s = std::make_unique<Running>(o, /*slow=*/true);
  namespace asio = boost::asio;
  // An idle keep-alive connection, opened before the shutdown.
  asio::io_context ioc;
  asio::ip::tcp::socket idle(ioc);
  idle.connect({asio::ip::make_address("127.0.0.1"), s->port});
  std::vector<std::string> texts(60, "a text of several tokens to keep the model busy");
  Reply big;
  std::thread client([&] { big = test::post_embeddings(s->port, json{{"input", texts}}.dump()); });
  for (int i = 0; i < 500 && s->server.metrics().requests_in_flight.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  s->server.shutdown();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Draining: health says so and new work is refused, on the connection that was already open.
  const Reply h = test::exchange(idle, ioc, test::request_text(verb::get, "/health", "", true));
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.body, R"({"status":"draining"})");
  EXPECT_TRUE(s->server.wait());
  client.join();
  EXPECT_EQ(embeddings_of(big).size(), texts.size());
}
