// qwen3emb compare --backends A,B: the same batch through two backends, compared layer by layer
// (in the spirit of llama.cpp's test-backend-ops): max |a-b|, ||a-b||/||b||, cosine of the last-token
// states, and each sequence's final embedding cosine, with PASS/FAIL against core/tolerances.h.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/cli_checks.h"
#include "apps/commands.h"
#include "apps/model_options.h"
#include "apps/read_texts.h"
#include "apps/verbatim_texts.h"
#include "core/compare_outputs.h"
#include "core/embed.h"
#include "core/error.h"
#include "core/pooling.h"
#include "core/tolerances.h"
#include "exercises/common/catalog.h"
#include "exercises/common/exercise_backend.h"

namespace qwen3::cli {

namespace {

struct CompareArgs {
  ModelOptions model;
  std::string backends;
  std::vector<std::string> texts;
  std::vector<int64_t> lengths;
  int64_t max_tokens = 8192;
  bool ops = false;
  bool isolate = false;
};

std::vector<std::string> split_comma(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) parts.push_back(part);
  return parts;
}

struct StateDiff {
  double max_abs = 0, rel = 0, min_cos_last = 1;
};

// a, b: [T, H] states of the same packed batch.
StateDiff diff_state(const std::vector<float>& a, const std::vector<float>& b, const Batch& batch, int64_t H) {
  StateDiff d;
  for (size_t i = 0; i < a.size(); ++i) d.max_abs = std::max(d.max_abs, std::abs(double(a[i]) - b[i]));
  d.rel = relative_error(a.data(), b.data(), static_cast<int64_t>(a.size()));
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    const int64_t row = batch.last_token(s) * H;
    d.min_cos_last = std::min(d.min_cos_last, cosine(a.data() + row, b.data() + row, H));
  }
  return d;
}

// With --ops: one row per op of every layer, matched by name (core/backend.h: kOpNames). A backend that fuses
// ops (cuda_opt) records only the outputs that exist in its memory; ops only one backend recorded are listed
// once, as fused, and not compared. Ops recorded in some layers only are an error (core/compare_outputs.h).
// Returns the name of the first op (in the order the pass runs them) beyond the tolerance, "" if none.
std::string print_ops(const NamedOutput& a, const NamedOutput& b, const ModelConfig& c, const Tolerance& tol) {
  const OpPairs ops = pair_ops(a, b, c);
  std::printf("\n%-28s %14s %16s  %s\n", "op", "max|a-b|", "||a-b||/||b||", "");
  std::string first_fail;
  for (const auto& [x, y] : ops.pairs) {
    double max_abs = 0;
    for (size_t k = 0; k < x->values.size(); ++k) max_abs = std::max(max_abs, std::abs(double(x->values[k]) - y->values[k]));
    const double rel = relative_error(x->values.data(), y->values.data(), static_cast<int64_t>(x->values.size()));
    const bool ok = rel <= tol.layer_rel;
    if (!ok && first_fail.empty()) first_fail = x->name;
    std::printf("%-28s %14.3e %16.3e  %s\n", x->name.c_str(), max_abs, rel, ok ? "PASS" : "FAIL");
  }
  if (!ops.fused.empty()) {
    std::string list;
    for (const std::string& f : ops.fused) {
      if (!list.empty()) list += ", ";
      list += f;
    }
    std::printf("not compared (fused away by one backend, so never in its memory): %s\n", list.c_str());
  }
  return first_fail;
}

// With the exercise backend: whose ops ran, before the tables.
void print_exercise_ops(const exercises::ExerciseReport& r, bool isolate) {
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) s.append(s.empty() ? "" : ", ").append(x);
    return s.empty() ? std::string("none") : s;
  };
  std::printf("exercise backend: your ops: %s; the reference's (not written yet): %s%s\n", join(r.learner_ops).c_str(),
              join(r.reference_ops).c_str(),
              isolate ? "; --isolate: each of your ops got the reference's input" : "");
}

// The last lines with --ops: the first op that differs and, with the exercise backend, its exercise and the known
// mistake the learner's output equals.
void print_first_divergence(const std::string& first_fail, const exercises::ExerciseReport* report) {
  if (report) {
    if (const auto it = report->looks_like.find(first_fail); it != report->looks_like.end()) {
      std::printf("%s looks like a known mistake: %s\n", first_fail.c_str(), it->second.c_str());
    }
  }
  if (first_fail.empty()) {
    std::printf("every op agrees\n");
    return;
  }
  const std::string exercise = exercises::exercise_for_op(first_fail);
  if (report && !exercise.empty()) {
    const exercises::ExerciseInfo* info = exercises::find_exercise(exercise);
    std::printf("first op that differs: %s — exercise %s%s\n", first_fail.c_str(), exercise.c_str(),
                info ? (" (exercises/" + exercise + "/" + info->file + ")").c_str() : "");
  } else {
    std::printf("first op that differs: %s\n", first_fail.c_str());
  }
}

int run_compare(const CompareArgs& a) {
  const auto names = split_comma(a.backends);
  if (names.size() != 2) throw InputError("--backends takes two names, e.g. cpu,cuda_naive");
  if (a.isolate && names[0] != "exercise" && names[1] != "exercise") {
    throw InputError("--isolate needs the exercise backend, e.g. --backends cpu,exercise");
  }
  auto A = a.model.make_backend(names[0]);
  auto B = a.model.make_backend(names[1]);
  const auto* exercise = dynamic_cast<const exercises::ExerciseBackend*>(names[1] == "exercise" ? B.get() : A.get());
  const ModelConfig& c = A->config();
  if (B->config().to_json() != c.to_json()) {
    throw Error("compare: " + names[0] + " and " + names[1] + " loaded different model configs (" + describe(c) +
                " vs " + describe(B->config()) + ")");
  }
  const int64_t H = c.hidden_size;

  std::vector<std::vector<int32_t>> seqs;
  if (!a.texts.empty()) {
    const Tokenizer tok = a.model.make_tokenizer();
    for (size_t i = 0; i < a.texts.size(); ++i) {
      seqs.push_back(embedding_ids(tok, a.texts[i], a.max_tokens, i, [](const std::string& w) {
        std::cerr << "warning: " << w << "\n";
      }));
    }
  } else {
    seqs = synthetic_sequences(a.lengths.empty() ? std::vector<int64_t>{1, 7, 64, 300} : a.lengths, c.vocab_size);
  }
  const Batch batch = Batch::pack(seqs);
  ForwardOptions opt;
  opt.keep_hidden_states = true;
  opt.keep_op_outputs = a.ops;
  const ForwardOutput oa = A->forward(batch, opt);
  const ForwardOutput ob = B->forward(batch, opt);
  const NamedOutput na{names[0], oa}, nb{names[1], ob};
  require_comparable_states(na, nb, c, batch);

  const Tolerance tol = tolerance_for(names[0], names[1]);
  std::printf("compare %s vs %s: %s, %lld sequences, %lld tokens\n", names[0].c_str(), names[1].c_str(),
              describe(c).c_str(), static_cast<long long>(batch.num_sequences()),
              static_cast<long long>(batch.num_tokens()));
  std::printf("tolerance: every state ||a-b||/||b|| <= %.1e, every embedding cos >= %.7f (%s)\n", tol.layer_rel,
              tol.embedding_cos, tol.why);
  if (exercise) print_exercise_ops(exercise->report(), a.isolate);
  std::printf("\n%-13s %14s %16s %18s  %s\n", "state after", "max|a-b|", "||a-b||/||b||", "min cos(last tok)", "");
  bool pass = true;
  double worst_rel = 0;
  const size_t n_states = oa.hidden_states.size();  // = ob's: require_comparable_states
  for (size_t l = 0; l < n_states; ++l) {
    const StateDiff d = diff_state(oa.hidden_states[l], ob.hidden_states[l], batch, H);
    const bool ok = d.rel <= tol.layer_rel;
    pass = pass && ok;
    worst_rel = std::max(worst_rel, d.rel);
    // hidden_states[l] is the output of layer l - 1: labelled with the number the op rows use ("layer 0 / q_proj")
    const std::string label = l == 0 ? "embedding" : l + 1 == n_states ? "final norm" : "layer " + std::to_string(l - 1);
    std::printf("%-13s %14.3e %16.3e %18.9f  %s\n", label.c_str(), d.max_abs, d.rel, d.min_cos_last, ok ? "PASS" : "FAIL");
  }
  std::string first_fail;
  if (a.ops) {
    first_fail = print_ops(na, nb, c, tol);
    pass = pass && first_fail.empty();
  }
  std::printf("\n%-10s %8s %18s  %s\n", "sequence", "tokens", "embedding cos", "");
  double worst_cos = 1;
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    const double cs = cosine(oa.embeddings.data() + s * H, ob.embeddings.data() + s * H, H);
    const bool ok = cs >= tol.embedding_cos;
    pass = pass && ok;
    worst_cos = std::min(worst_cos, cs);
    std::printf("%-10lld %8lld %18.9f  %s\n", static_cast<long long>(s), static_cast<long long>(batch.length(s)), cs,
                ok ? "PASS" : "FAIL");
  }
  std::printf("\n%s: worst state ||a-b||/||b|| %.3e (<= %.1e), worst embedding cos %.9f (>= %.7f)\n",
              pass ? "PASS" : "FAIL", worst_rel, tol.layer_rel, worst_cos, tol.embedding_cos);
  if (a.ops) print_first_divergence(first_fail, exercise ? &exercise->report() : nullptr);
  return pass ? 0 : 1;
}

}  // namespace

void add_compare(CLI::App& app, VerbatimTexts& texts) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* cmd = app.add_subcommand("compare", "Run one batch through two backends and compare them layer by layer");
  texts.add_to(*cmd, &args->texts, "Texts of the batch (default: synthetic sequences of --lengths)");
  cmd->add_option("--backends", args->backends, "Two backends, e.g. cpu,cuda_naive")->required();
  cmd->add_option("--lengths", args->lengths, "Without texts: sequence lengths of a synthetic batch (default 1,7,64,300)")
      ->delimiter(',');
  cmd->add_flag("--ops", args->ops, "Also compare every op's output inside every layer; ends naming the first op "
                                    "that differs (and, with the exercise backend, its exercise)");
  cmd->add_flag("--isolate", args->isolate, "With the exercise backend: feed each of your ops the reference's input, "
                                            "so one wrong op shows as its own rows, not as everything after it");
  cmd->add_option("--max-tokens", args->max_tokens, "Cut longer texts to this many tokens")->check(whole_number(1));
  args->model.add_to(*cmd, /*backend_option=*/false);
  cmd->callback([args] {
    args->model.exercise_isolate = args->isolate;
    if (run_compare(*args) != 0) throw Error("the backends disagree beyond the tolerance (FAIL rows above)");
  });
}

}  // namespace qwen3::cli
