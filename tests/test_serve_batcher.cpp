// The batcher alone, over a backend that records the batches it is given: the batching window (wait for more
// inputs when the model is free and the batch is not full) merges the inputs of clients that fell into step, ends
// early when the batch fills or the batcher stops, and never runs an empty batch when the inputs it waited with
// are cancelled.
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "serve/batcher.h"

using namespace qwen3;
using namespace qwen3::serve;
using namespace std::chrono_literals;

namespace {

// Each pass sleeps `pass_time` and records its number of inputs; embedding b is (first token of b, 0, 0, 0).
class RecordingBackend final : public Backend {
 public:
  explicit RecordingBackend(std::chrono::milliseconds pass_time) : pass_time_(pass_time) {
    config_.hidden_size = 4;
    config_.vocab_size = 100;
    config_.max_position_embeddings = 1000;
  }
  std::string name() const override { return "recording"; }
  const ModelConfig& config() const override { return config_; }
  ForwardOutput forward(const Batch& batch, const ForwardOptions&) override {
    {
      std::lock_guard lock(mu_);
      sizes_.push_back(batch.num_sequences());
    }
    std::this_thread::sleep_for(pass_time_);
    ForwardOutput out;
    out.embeddings.assign(static_cast<size_t>(batch.num_sequences() * 4), 0.0f);
    for (int64_t b = 0; b < batch.num_sequences(); ++b) out.embeddings[b * 4] = static_cast<float>(batch.tokens[batch.offsets[b]]);
    return out;
  }
  std::vector<int64_t> batch_sizes() const {
    std::lock_guard lock(mu_);
    return sizes_;
  }

 private:
  ModelConfig config_;
  std::chrono::milliseconds pass_time_;
  mutable std::mutex mu_;
  std::vector<int64_t> sizes_;
};

// A request of `inputs` inputs whose future is ready when its on_done has run.
struct Submitted {
  std::shared_ptr<PendingRequest> request;
  std::shared_future<void> done;
};

Submitted make_request(size_t inputs) {
  auto promise = std::make_shared<std::promise<void>>();
  Submitted s;
  s.done = promise->get_future().share();
  s.request = std::make_shared<PendingRequest>(inputs, [promise](const std::shared_ptr<PendingRequest>&) { promise->set_value(); });
  return s;
}

// Submits one input of `length` tokens, each `token`.
Submitted submit_one(Batcher& batcher, int32_t token, size_t length = 4) {
  Submitted s = make_request(1);
  EXPECT_TRUE(batcher.submit(s.request, {std::vector<int32_t>(length, token)}));
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

// Two closed-loop clients in step: B arrives during A's pass; A's client sends C just after A's answer. Without a
// window B runs alone and C after it (1, 1, 1); the window makes B wait for C (1, 2).
TEST(ServeBatcher, TheWindowMergesClientsThatFellIntoStep) {
  RecordingBackend backend(50ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_requests = 2;
  o.max_batch_wait = std::chrono::seconds(5);  // ended by the full batch long before
  Batcher batcher(backend, o, metrics);
  const auto start = std::chrono::steady_clock::now();
  Submitted a = submit_one(batcher, 1);
  // A is alone when the model is free, so it waits in the window until B arrives: wait for that pass to start.
  std::this_thread::sleep_for(10ms);
  Submitted b = submit_one(batcher, 2);
  a.done.wait();
  b.done.wait();
  Submitted c = submit_one(batcher, 3);
  std::this_thread::sleep_for(5ms);
  Submitted d = submit_one(batcher, 4);
  c.done.wait();
  d.done.wait();
  EXPECT_EQ(backend.batch_sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_LT(seconds_since(start), 4.0) << "full batches must not wait out the window";
  EXPECT_EQ(a.request->embeddings[0][0], 1.0f);
  EXPECT_EQ(d.request->embeddings[0][0], 4.0f);
}

// b arrives during a full batch's pass; a's client sends c just after its answer: the window makes b wait for c.
TEST(ServeBatcher, InputsArrivingDuringAPassShareTheNextOneWithALateComer) {
  RecordingBackend backend(60ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_requests = 2;
  o.max_batch_wait = std::chrono::seconds(5);
  Batcher batcher(backend, o, metrics);
  Submitted a = make_request(2);  // a full batch: runs at once
  ASSERT_TRUE(batcher.submit(a.request, {{1, 1}, {1, 1}}));
  std::this_thread::sleep_for(20ms);
  Submitted b = submit_one(batcher, 2);  // queued during a's pass
  a.done.wait();
  std::this_thread::sleep_for(5ms);  // a's client answers late: without the window b would already be running
  Submitted c = submit_one(batcher, 3);
  b.done.wait();
  c.done.wait();
  EXPECT_EQ(backend.batch_sizes(), (std::vector<int64_t>{2, 2}));
}

// The same clients without a window (the default): b runs alone the moment the model is free, c after it.
TEST(ServeBatcher, WithoutAWindowAFreeModelRunsWhatIsThere) {
  RecordingBackend backend(60ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_requests = 2;
  Batcher batcher(backend, o, metrics);
  Submitted a = make_request(2);
  ASSERT_TRUE(batcher.submit(a.request, {{1, 1}, {1, 1}}));
  std::this_thread::sleep_for(20ms);
  Submitted b = submit_one(batcher, 2);
  a.done.wait();
  std::this_thread::sleep_for(20ms);
  Submitted c = submit_one(batcher, 3);
  b.done.wait();
  c.done.wait();
  EXPECT_EQ(backend.batch_sizes(), (std::vector<int64_t>{2, 1, 1}));
}

TEST(ServeBatcher, ABatchFullByTokensDoesNotWait) {
  RecordingBackend backend(1ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_tokens = 8;
  o.max_batch_wait = std::chrono::seconds(20);
  Batcher batcher(backend, o, metrics);
  const auto start = std::chrono::steady_clock::now();
  Submitted a = submit_one(batcher, 1, 8);
  a.done.wait();
  // A queue head that does not fit beside the prepared batch also makes it full.
  Submitted b = submit_one(batcher, 2, 5);
  Submitted c = submit_one(batcher, 3, 5);
  b.done.wait();
  EXPECT_LT(seconds_since(start), 10.0);
  batcher.stop();  // c waits in its window until the batcher stops, which runs it
  c.done.wait();
  EXPECT_EQ(c.request->embeddings[0][0], 3.0f);
  EXPECT_LT(seconds_since(start), 10.0);
}

TEST(ServeBatcher, StopEndsTheWindowAndRunsTheInputs) {
  RecordingBackend backend(1ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_wait = std::chrono::seconds(20);
  Batcher batcher(backend, o, metrics);
  const auto start = std::chrono::steady_clock::now();
  Submitted a = submit_one(batcher, 7);
  std::this_thread::sleep_for(20ms);
  batcher.stop();
  ASSERT_EQ(a.done.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(a.request->embeddings[0][0], 7.0f);
  EXPECT_LT(seconds_since(start), 10.0);
}

TEST(ServeBatcher, InputsCancelledDuringTheWindowAreNotRun) {
  RecordingBackend backend(1ms);
  Metrics metrics;
  BatcherOptions o;
  o.max_batch_wait = std::chrono::milliseconds(300);
  Batcher batcher(backend, o, metrics);
  Submitted a = submit_one(batcher, 1);
  std::this_thread::sleep_for(20ms);
  batcher.cancel(a.request);
  ASSERT_EQ(a.done.wait_for(0s), std::future_status::ready);
  std::this_thread::sleep_for(400ms);  // past the window: an empty batch would have run by now
  Submitted b = submit_one(batcher, 2);
  b.done.wait();
  EXPECT_EQ(backend.batch_sizes(), (std::vector<int64_t>{1}));
  EXPECT_EQ(b.request->embeddings[0][0], 2.0f);
  EXPECT_EQ(metrics.inputs_dropped(), 1u);
}
