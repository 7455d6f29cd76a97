// The server's Prometheus metrics (text exposition format 0.0.4, every name prefixed qwen3emb_), served at
// GET /metrics: counters, gauges and cumulative histograms. Thread-safe: the I/O threads and the model thread
// record into it, a scrape reads it.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace qwen3::serve {

// A cumulative histogram with fixed upper bounds: bucket i counts observations <= bounds[i]; +Inf counts all.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double x);
  // "# TYPE name histogram" and its _bucket{le=...}, _sum and _count lines.
  void write(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // [bounds + 1], not yet cumulative; the last is above every bound
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();

  // One finished HTTP request: its endpoint ("embeddings", "models", "health", "metrics", "other") and status.
  void count_request(const std::string& endpoint, int status);
  // One embeddings request answered 200: its inputs, their tokens, and its time from read to response.
  void count_embeddings(int64_t inputs, int64_t tokens, double seconds);
  // One batch run by the model thread: its inputs, tokens, and the forward pass's time.
  void count_batch(int64_t inputs, int64_t tokens, double seconds);
  // One input's wait in the queue, from admission to its batch's start.
  void observe_queue_wait(double seconds) { queue_latency_.observe(seconds); }

  std::atomic<int64_t> queue_size{0};         // inputs waiting for a batch
  std::atomic<int64_t> inputs_in_flight{0};   // admitted inputs not yet answered (the 429 limit counts these)
  std::atomic<int64_t> requests_in_flight{0}; // embeddings requests admitted and not yet answered

  uint64_t batches_total() const { return batches_total_.load(); }
  // Inputs dropped unrun because their client went away.
  void count_dropped(int64_t inputs) { dropped_total_ += static_cast<uint64_t>(inputs); }
  uint64_t inputs_dropped() const { return dropped_total_.load(); }

  // Requests to `endpoint` answered so far, by status ({200: n, 503: m}).
  std::map<int, uint64_t> answered(const std::string& endpoint) const;

  // The whole exposition text.
  std::string text() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (endpoint, status) -> count
  std::atomic<uint64_t> inputs_total_{0}, tokens_total_{0}, batches_total_{0}, dropped_total_{0};
  Histogram batch_size_, batch_tokens_, queue_latency_, inference_latency_, request_latency_;
};

}  // namespace qwen3::serve
