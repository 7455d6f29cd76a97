#include "serve/metrics.h"

#include <cstdio>

namespace qwen3::serve {

namespace {

std::string number(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

// 1, 2, 4, ... up to `max` (inclusive when a power of two).
std::vector<double> powers_of_two(double max) {
  std::vector<double> b;
  for (double x = 1; x <= max; x *= 2) b.push_back(x);
  return b;
}

// Latency buckets in seconds: 1 ms .. 60 s, about three per decade.
std::vector<double> latency_bounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

void header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double x) {
  size_t i = 0;
  while (i < bounds_.size() && x > bounds_[i]) ++i;
  std::lock_guard lock(mu_);
  ++counts_[i];
  sum_ += x;
  ++count_;
}

void Histogram::write(std::string& out, const std::string& name, const std::string& help) const {
  header(out, name, help, "histogram");
  std::lock_guard lock(mu_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out.append(name).append("_bucket{le=\"").append(number(bounds_[i])).append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  out.append(name).append("_bucket{le=\"+Inf\"} ").append(std::to_string(count_)).append("\n");
  out.append(name).append("_sum ").append(number(sum_)).append("\n");
  out.append(name).append("_count ").append(std::to_string(count_)).append("\n");
}

Metrics::Metrics()
    : batch_size_(powers_of_two(4096)),
      batch_tokens_(powers_of_two(1 << 20)),
      queue_latency_(latency_bounds()),
      inference_latency_(latency_bounds()),
      request_latency_(latency_bounds()) {}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
}

std::map<int, uint64_t> Metrics::answered(const std::string& endpoint) const {
  std::lock_guard lock(mu_);
  std::map<int, uint64_t> by_status;
  for (const auto& [key, n] : requests_)
    if (key.first == endpoint) by_status[key.second] += n;
  return by_status;
}

void Metrics::count_embeddings(int64_t inputs, int64_t tokens, double seconds) {
  inputs_total_ += static_cast<uint64_t>(inputs);
  tokens_total_ += static_cast<uint64_t>(tokens);
  request_latency_.observe(seconds);
}

void Metrics::count_batch(int64_t inputs, int64_t tokens, double seconds) {
  ++batches_total_;
  batch_size_.observe(static_cast<double>(inputs));
  batch_tokens_.observe(static_cast<double>(tokens));
  inference_latency_.observe(seconds);
}

std::string Metrics::text() const {
  std::string out;
  header(out, "qwen3emb_requests_total", "HTTP requests answered, by endpoint and status code", "counter");
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, n] : requests_) {
      const char* outcome = key.second < 300 ? "success" : key.second == 429 ? "rejected" : key.second < 500 ? "client_error" : "server_error";
      out.append("qwen3emb_requests_total{endpoint=\"").append(key.first).append("\",status=\"")
          .append(std::to_string(key.second)).append("\",outcome=\"").append(outcome).append("\"} ")
          .append(std::to_string(n)).append("\n");
    }
  }
  header(out, "qwen3emb_inputs_total", "Inputs embedded (answered 200)", "counter");
  out.append("qwen3emb_inputs_total ").append(std::to_string(inputs_total_.load())).append("\n");
  header(out, "qwen3emb_input_tokens_total", "Tokens of the inputs embedded (answered 200)", "counter");
  out.append("qwen3emb_input_tokens_total ").append(std::to_string(tokens_total_.load())).append("\n");
  header(out, "qwen3emb_inputs_dropped_total", "Inputs dropped unrun because their client disconnected", "counter");
  out.append("qwen3emb_inputs_dropped_total ").append(std::to_string(dropped_total_.load())).append("\n");
  header(out, "qwen3emb_batches_total", "Forward passes run", "counter");
  out.append("qwen3emb_batches_total ").append(std::to_string(batches_total_.load())).append("\n");
  header(out, "qwen3emb_queue_size", "Inputs waiting for a batch", "gauge");
  out.append("qwen3emb_queue_size ").append(std::to_string(queue_size.load())).append("\n");
  header(out, "qwen3emb_inputs_in_flight", "Admitted inputs not yet answered (--max-in-flight)", "gauge");
  out.append("qwen3emb_inputs_in_flight ").append(std::to_string(inputs_in_flight.load())).append("\n");
  header(out, "qwen3emb_requests_in_flight", "Embeddings requests admitted and not yet answered", "gauge");
  out.append("qwen3emb_requests_in_flight ").append(std::to_string(requests_in_flight.load())).append("\n");
  batch_size_.write(out, "qwen3emb_batch_size", "Inputs per forward pass");
  batch_tokens_.write(out, "qwen3emb_batch_tokens", "Tokens per forward pass (packed, no padding)");
  queue_latency_.write(out, "qwen3emb_queue_latency_seconds", "Time an input waits from admission to its batch's start");
  inference_latency_.write(out, "qwen3emb_inference_latency_seconds", "Time of one forward pass");
  request_latency_.write(out, "qwen3emb_request_latency_seconds", "Time from a request's arrival to its answer (200s)");
  return out;
}

}  // namespace qwen3::serve
