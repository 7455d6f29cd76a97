#include "serve/batcher.h"

#include <algorithm>

namespace qwen3::serve {

Batcher::Batcher(Backend& backend, BatcherOptions options, Metrics& metrics, Tracer* tracer)
    : backend_(backend), options_(options), metrics_(metrics), tracer_(tracer) {
  next_.clear();
  model_thread_ = std::thread([this] { model_loop(); });
}

Batcher::~Batcher() { stop(); }

bool Batcher::submit(const std::shared_ptr<PendingRequest>& request, std::vector<std::vector<int32_t>> ids) {
  const int64_t n = static_cast<int64_t>(ids.size());
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    if (in_flight_ > 0 && in_flight_ + n > options_.max_in_flight) return false;
    in_flight_ += n;
    for (size_t i = 0; i < ids.size(); ++i) {
      const int64_t tokens = static_cast<int64_t>(ids[i].size());
      queue_.push_back(Entry{request, i, std::move(ids[i]), tokens, now});
    }
    top_up_locked();
    metrics_.queue_size = static_cast<int64_t>(queue_.size() + next_.entries.size());
    metrics_.inputs_in_flight = in_flight_;
  }
  work_.notify_one();
  return true;
}

bool Batcher::fits_locked(const Entry& e) const {
  if (next_.entries.empty()) return true;  // a batch takes at least one input, however long
  return static_cast<int64_t>(next_.entries.size()) < options_.max_batch_requests &&
         next_.batch.num_tokens() + e.tokens <= options_.max_batch_tokens;
}

bool Batcher::full_locked() const {
  return static_cast<int64_t>(next_.entries.size()) >= options_.max_batch_requests ||
         next_.batch.num_tokens() >= options_.max_batch_tokens || !queue_.empty();
}

void Batcher::top_up_locked() {
  while (!queue_.empty() && fits_locked(queue_.front())) {
    Entry e = std::move(queue_.front());
    queue_.pop_front();
    // Append the sequence to the packed batch: tokens += ids, offsets += new end.
    next_.batch.tokens.insert(next_.batch.tokens.end(), e.ids.begin(), e.ids.end());
    next_.batch.offsets.push_back(next_.batch.num_tokens());
    e.ids = {};
    next_.entries.push_back(std::move(e));
  }
}

void Batcher::cancel(const std::shared_ptr<PendingRequest>& request) {
  std::vector<std::shared_ptr<PendingRequest>> dropped;  // finish_one outside the lock
  {
    std::lock_guard lock(mu_);
    if (request->cancelled_.exchange(true)) return;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->owner == request) {
        dropped.push_back(it->owner);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    // The prepared batch: repack it without the request's sequences.
    if (std::any_of(next_.entries.begin(), next_.entries.end(), [&](const Entry& e) { return e.owner == request; })) {
      Prepared kept;
      kept.clear();
      for (size_t b = 0; b < next_.entries.size(); ++b) {
        Entry& e = next_.entries[b];
        if (e.owner == request) {
          dropped.push_back(e.owner);
          continue;
        }
        const auto first = next_.batch.tokens.begin() + next_.batch.offsets[b];
        kept.batch.tokens.insert(kept.batch.tokens.end(), first, first + next_.batch.length(static_cast<int64_t>(b)));
        kept.batch.offsets.push_back(kept.batch.num_tokens());
        kept.entries.push_back(std::move(e));
      }
      next_ = std::move(kept);
    }
    top_up_locked();
    in_flight_ -= static_cast<int64_t>(dropped.size());
    metrics_.count_dropped(static_cast<int64_t>(dropped.size()));
    metrics_.queue_size = static_cast<int64_t>(queue_.size() + next_.entries.size());
    metrics_.inputs_in_flight = in_flight_;
  }
  for (auto& r : dropped) PendingRequest::finish_one(r);
}

void Batcher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  if (model_thread_.joinable()) model_thread_.join();
}

int64_t Batcher::queued() const {
  std::lock_guard lock(mu_);
  return static_cast<int64_t>(queue_.size() + next_.entries.size());
}

void Batcher::model_loop() {
  Prepared current;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_.wait(lock, [&] { return !next_.entries.empty() || (stopping_ && queue_.empty()); });
      if (next_.entries.empty()) return;  // stopping, and nothing left
      if (options_.max_batch_wait.count() > 0) {
        // The batching window, counted from the moment the model is free: every submit() tops next_ up and
        // wakes this thread, which goes on waiting until the batch is full, the window is over or stop().
        const Clock::time_point until = Clock::now() + options_.max_batch_wait;
        work_.wait_until(lock, until, [&] { return full_locked() || stopping_; });
        if (next_.entries.empty()) continue;  // its clients left while it waited
      }
      std::swap(current, next_);
      next_.clear();
      top_up_locked();  // the following batch starts forming now, while this one runs
      metrics_.queue_size = static_cast<int64_t>(queue_.size() + next_.entries.size());
    }
    run_batch(current);
  }
}

void Batcher::run_batch(Prepared& p) {
  const int64_t n = p.batch.num_sequences(), tokens = p.batch.num_tokens();
  const Clock::time_point start = Clock::now();
  for (const Entry& e : p.entries) metrics_.observe_queue_wait(std::chrono::duration<double>(start - e.admitted).count());
  ForwardOutput out;
  std::string error;
  {
    TraceScope range(tracer_, "batch: " + std::to_string(n) + " inputs, " + std::to_string(tokens) + " tokens", "host");
    ForwardOptions opt;
    opt.tracer = tracer_;
    try {
      out = backend_.forward(p.batch, opt);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
  }
  metrics_.count_batch(n, tokens, std::chrono::duration<double>(Clock::now() - start).count());
  const int64_t H = backend_.config().hidden_size;
  for (int64_t b = 0; b < n; ++b) {
    Entry& e = p.entries[b];
    if (error.empty()) {
      const float* row = out.embeddings.data() + b * H;
      e.owner->embeddings[e.index].assign(row, row + H);
    } else {
      e.owner->error = error;
    }
  }
  {
    std::lock_guard lock(mu_);
    in_flight_ -= n;
    metrics_.inputs_in_flight = in_flight_;
  }
  for (Entry& e : p.entries) PendingRequest::finish_one(e.owner);
  p.clear();
}

}  // namespace qwen3::serve
