// Dynamic batching: every input of every admitted request is one entry of a FIFO queue; whenever the backend is
// free, one model thread runs the prepared batch (packed end to end, no padding: core/batch.h) of at most
// max_batch_tokens tokens and max_batch_requests inputs, and hands each embedding back to its request.
//
//   I/O threads:  submit(request, ids) -> admission (429 beyond max_in_flight) -> queue -> top up `next`
//   model thread: (if `next` is not full, wait up to max_batch_wait for more inputs) -> take `next` (and top it
//                 up again from the queue at once, so the following batch is being prepared while this one runs)
//                 -> Backend::forward -> PendingRequest::deliver per input
//
// Tokenisation happens before submit, on the I/O side; the model thread only runs forward passes. A request
// whose client went away is cancelled: its inputs still queued or prepared are dropped.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/backend.h"
#include "core/tracer.h"
#include "serve/metrics.h"

namespace qwen3::serve {

using Clock = std::chrono::steady_clock;

// One embeddings request's inputs as the batcher sees them. The model thread fills `embeddings`; when the last
// input is delivered (or dropped) `on_done` runs once, on the model thread (or the cancelling thread), and
// should only post the answer back to the connection's executor.
class PendingRequest {
 public:
  using OnDone = std::function<void(const std::shared_ptr<PendingRequest>&)>;
  PendingRequest(size_t inputs, OnDone on_done)
      : embeddings(inputs), remaining_(inputs), on_done_(std::move(on_done)) {}

  std::vector<std::vector<float>> embeddings;  // [inputs][H], unit length (the full hidden size)
  std::string error;                           // non-empty when a forward pass failed (then a 500)
  bool cancelled() const { return cancelled_.load(); }

 private:
  friend class Batcher;
  // Counts one input of `r` as finished; the last one runs on_done.
  static void finish_one(const std::shared_ptr<PendingRequest>& r) {
    if (r->remaining_.fetch_sub(1) == 1 && r->on_done_) r->on_done_(r);
  }
  std::atomic<size_t> remaining_;
  std::atomic<bool> cancelled_{false};
  OnDone on_done_;
};

struct BatcherOptions {
  int64_t max_batch_tokens = 16384;  // tokens per forward pass (a longer single input runs alone)
  int64_t max_batch_requests = 256;  // inputs per forward pass
  int64_t max_in_flight = 8192;      // admitted inputs not yet answered; beyond: 429 (one request always fits)
  // The batching window: when the model is free but the prepared batch is not full, wait at most this long for
  // more inputs (ended early by a full batch or stop()). 0: run whatever is there at once. A window trades up to
  // this much latency per batch for larger passes when closed-loop clients fall into step (docs/serving.md).
  std::chrono::microseconds max_batch_wait{0};
};

class Batcher {
 public:
  // `tracer` (may be null): each batch becomes a range "batch: N inputs, T tokens" with the backend's under it.
  Batcher(Backend& backend, BatcherOptions options, Metrics& metrics, Tracer* tracer = nullptr);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Admits a request's inputs (ids[i] for input i; none empty) unless that would put more than max_in_flight
  // inputs in flight (an idle server admits any request) or the batcher is stopping: then false (429/503).
  bool submit(const std::shared_ptr<PendingRequest>& request, std::vector<std::vector<int32_t>> ids);
  // The client went away: drop its inputs still waiting; its on_done runs once they are all accounted for.
  void cancel(const std::shared_ptr<PendingRequest>& request);
  // Runs every admitted input, then stops the model thread. Idempotent.
  void stop();

  int64_t queued() const;  // inputs waiting (the prepared batch included)

 private:
  struct Entry {
    std::shared_ptr<PendingRequest> owner;
    size_t index = 0;            // which input of the request
    std::vector<int32_t> ids;    // empty once moved into the prepared batch
    int64_t tokens = 0;
    Clock::time_point admitted;
  };
  // The next batch, packed as entries arrive: batch.tokens / batch.offsets grow with entries.
  struct Prepared {
    std::vector<Entry> entries;
    Batch batch;
    void clear() {
      entries.clear();
      batch.tokens.clear();
      batch.offsets.assign(1, 0);
    }
  };

  bool fits_locked(const Entry& e) const;
  bool full_locked() const;  // next_ takes no more inputs: the request or token budget is reached, or the
                             // queue's head does not fit
  void top_up_locked();  // moves queue entries into next_ while they fit
  void model_loop();
  void run_batch(Prepared& p);

  Backend& backend_;
  const BatcherOptions options_;
  Metrics& metrics_;
  Tracer* tracer_;

  mutable std::mutex mu_;
  std::condition_variable work_;
  std::deque<Entry> queue_;
  Prepared next_;
  int64_t in_flight_ = 0;
  bool stopping_ = false;
  std::thread model_thread_;
};

}  // namespace qwen3::serve
