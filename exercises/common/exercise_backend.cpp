#include "exercises/common/exercise_backend.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <utility>

#include "core/error.h"
#include "exercises/common/todo.h"
#include "ref_cpu/cpu_backend.h"

namespace qwen3::exercises {

namespace {

double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d2 = 0, b2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i]) || !std::isfinite(b[i])) {
      if (std::isnan(a[i]) && std::isnan(b[i])) continue;  // both NaN: the same mistake
      if (a[i] != b[i]) return INFINITY;
      continue;
    }
    d2 += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    b2 += double(b[i]) * b[i];
  }
  return b2 > 0 ? std::sqrt(d2 / b2) : std::sqrt(d2);
}

// Learner and reference differ beyond what summing in another order explains; a known mistake "matches" when its
// output is this close to the learner's.
constexpr double kDiffers = 1e-4;
constexpr double kMatches = 1e-6;

}  // namespace

// One slot of the table: the learner's function, the reference's, the known-wrong answers (for the diagnosis).
template <class Fn>
struct Slot {
  std::string name;  // "apply_rope"
  Fn learner;        // empty once it threw NotImplemented (or when no answer of this kind exists)
  Fn reference;
  std::vector<std::pair<Fn, std::string>> wrong;  // function, "<mistake> (<file>)"
  bool last_op = false;  // pooling: nothing runs after it, so isolate keeps the learner's output
};

struct ExerciseBackend::State {
  ExerciseOptions options;
  ExerciseReport report;
  std::map<const float*, std::vector<float>> learner_output;  // isolate: the learner's output, by buffer
  std::map<const float*, std::string> diagnosis;              // by buffer, until the pass records that buffer
  Slot<decltype(cpu::OpTable::rms_norm)> rms_norm;
  Slot<decltype(cpu::OpTable::apply_rope)> apply_rope;
  Slot<decltype(cpu::OpTable::causal_attention)> causal_attention;
  Slot<decltype(cpu::OpTable::silu_mul)> silu_mul;
  Slot<decltype(cpu::OpTable::last_token_pool)> last_token_pool;

  void note(const std::string& slot, bool learner) {
    auto& list = learner ? report.learner_ops : report.reference_ops;
    if (std::find(list.begin(), list.end(), slot) == list.end()) list.push_back(slot);
  }

  // Runs one call of a slot. run(f) calls f on a copy of this call's inputs and returns its output; out is where
  // the pass expects the output.
  template <class Fn>
  void dispatch(Slot<Fn>& s, const std::function<std::vector<float>(const Fn&)>& run, float* out) {
    std::vector<float> mine;
    if (s.learner) {
      try {
        mine = run(s.learner);
      } catch (const NotImplemented&) {
        s.learner = nullptr;  // not written yet: the reference from now on
      }
    }
    note(s.name, static_cast<bool>(s.learner));
    if (!s.learner) {
      const std::vector<float> ref = run(s.reference);
      std::copy(ref.begin(), ref.end(), out);
      return;
    }
    std::vector<float> ref;
    if (options.isolate || options.diagnose) ref = run(s.reference);
    if (options.diagnose && ref.size() == mine.size() && relative_difference(mine, ref) > kDiffers) {
      for (const auto& [wrong, what] : s.wrong) {
        if (relative_difference(mine, run(wrong)) <= kMatches) {
          diagnosis[out] = what;
          break;
        }
      }
    }
    const std::vector<float>& go_on = options.isolate && !s.last_op ? ref : mine;
    if (options.isolate && !s.last_op) learner_output[out] = mine;
    std::copy(go_on.begin(), go_on.end(), out);
  }

  cpu::OpTable table() {
    cpu::OpTable t;
    t.rms_norm = [this](const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y) {
      const std::vector<float> in(x, x + rows * n);
      dispatch<decltype(rms_norm.learner)>(rms_norm, [&](const auto& f) {
        std::vector<float> o(in.size());
        f(in.data(), w, rows, n, eps, o.data());
        return o;
      }, y);
    };
    t.apply_rope = [this](float* x, const int32_t* pos, int64_t T, int64_t heads, int64_t D, double theta) {
      const std::vector<float> in(x, x + T * heads * D);
      dispatch<decltype(apply_rope.learner)>(apply_rope, [&](const auto& f) {
        std::vector<float> o = in;
        f(o.data(), pos, T, heads, D, theta);
        return o;
      }, x);
    };
    t.causal_attention = [this](const float* q, const float* k, const float* v, const int64_t* offsets, int64_t B,
                                int64_t NH, int64_t NKV, int64_t D, float* out) {
      const int64_t T = offsets[B];
      dispatch<decltype(causal_attention.learner)>(causal_attention, [&](const auto& f) {
        std::vector<float> o(T * NH * D);
        f(q, k, v, offsets, B, NH, NKV, D, o.data());
        return o;
      }, out);
    };
    t.silu_mul = [this](const float* g, const float* u, int64_t n, float* y) {
      const std::vector<float> gin(g, g + n);  // y is g in the forward pass
      dispatch<decltype(silu_mul.learner)>(silu_mul, [&](const auto& f) {
        std::vector<float> o(n);
        f(gin.data(), u, n, o.data());
        return o;
      }, y);
    };
    t.last_token_pool = [this](const float* x, const int64_t* offsets, int64_t B, int64_t H, float* out) {
      dispatch<decltype(last_token_pool.learner)>(last_token_pool, [&](const auto& f) {
        std::vector<float> o(B * H);
        f(x, offsets, B, H, o.data());
        return o;
      }, out);
    };
    t.on_record = [this](const std::string& op, const float* buffer, std::vector<float>& recorded) {
      if (auto it = learner_output.find(buffer); it != learner_output.end()) {
        recorded = std::move(it->second);
        learner_output.erase(it);
      }
      if (auto it = diagnosis.find(buffer); it != diagnosis.end()) {
        report.looks_like.emplace(op, it->second);
        diagnosis.erase(it);
      }
    };
    return t;
  }
};

namespace {

// Fills slot s from the answers of the chosen kind (or the one wrong file) and the known-wrong answers.
template <class Fn>
void fill_slot(ExerciseBackend::State& st, Slot<Fn>& s, const char* slot, Fn cpu::OpTable::*member,
               const cpu::OpTable& reference) {
  s.name = slot;
  s.reference = reference.*member;
  for (const Variant& v : variants()) {
    if (std::strcmp(v.slot, slot) != 0) continue;
    cpu::OpTable t;
    v.bind(t);
    const bool chosen = st.options.wrong_file.empty() ? v.kind == st.options.kind : st.options.wrong_file == v.file;
    if (chosen) s.learner = t.*member;
    if (v.kind == Kind::wrong) s.wrong.emplace_back(t.*member, std::string(v.mistake) + " (" + v.file + ")");
  }
}

}  // namespace

ExerciseBackend::ExerciseBackend(const ModelConfig& config, HostWeights weights, ExerciseOptions options)
    : state_(std::make_shared<State>()) {
  State& st = *state_;
  st.options = std::move(options);
  if (!st.options.wrong_file.empty()) {
    const auto all = variants();
    if (std::none_of(all.begin(), all.end(), [&](const Variant& v) { return st.options.wrong_file == v.file; })) {
      throw InputError("no known-wrong answer " + st.options.wrong_file + " plugs into the model");
    }
  }
  const cpu::OpTable ref = cpu::reference_op_table();
  fill_slot(st, st.rms_norm, "rms_norm", &cpu::OpTable::rms_norm, ref);
  fill_slot(st, st.apply_rope, "apply_rope", &cpu::OpTable::apply_rope, ref);
  fill_slot(st, st.causal_attention, "causal_attention", &cpu::OpTable::causal_attention, ref);
  fill_slot(st, st.silu_mul, "silu_mul", &cpu::OpTable::silu_mul, ref);
  fill_slot(st, st.last_token_pool, "last_token_pool", &cpu::OpTable::last_token_pool, ref);
  st.last_token_pool.last_op = true;
  cpu_ = std::make_unique<cpu::CpuBackend>(config, std::move(weights), st.table(), "exercise");
}

ExerciseBackend::~ExerciseBackend() = default;

const ModelConfig& ExerciseBackend::config() const { return cpu_->config(); }

ForwardOutput ExerciseBackend::forward(const Batch& batch, const ForwardOptions& options) {
  State& st = *state_;
  st.report = {};
  st.learner_output.clear();
  st.diagnosis.clear();
  ForwardOutput out = cpu_->forward(batch, options);
  if (auto it = st.diagnosis.find(out.embeddings.data()); it != st.diagnosis.end()) {
    st.report.looks_like.emplace("pooling", it->second);
  }
  st.diagnosis.clear();
  return out;
}

const ExerciseReport& ExerciseBackend::report() const { return state_->report; }

}  // namespace qwen3::exercises
