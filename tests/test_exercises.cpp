// The course's exercise machinery (exercises/common/): the exercise backend runs the CPU reference's pass with the
// answers' ops, names the known mistakes compare diagnoses, and `qwen3emb exercise` behaves as a learner needs.
// Each exercise's own tests and the honesty checks (solution passes, untouched file says "not implemented",
// every wrong answer fails) are ctest's exercise.* tests, registered in exercises/CMakeLists.txt.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "core/error.h"
#include "core/pooling.h"
#include "core/weights.h"
#include "exercises/common/catalog.h"
#include "exercises/common/exercise_backend.h"
#include "ref_cpu/cpu_backend.h"
#include "test_util.h"

namespace {

using namespace qwen3;
using exercises::ExerciseBackend;
using exercises::ExerciseOptions;
using exercises::Kind;

Batch test_batch(const ModelConfig& c) {
  std::vector<std::vector<int32_t>> seqs;
  for (int len : {1, 7, 20, 5}) {
    std::vector<int32_t> s;
    for (int i = 0; i < len; ++i) s.push_back(static_cast<int32_t>((len * 31 + i * 17) % c.vocab_size));
    seqs.push_back(s);
  }
  return Batch::pack(seqs);
}

ForwardOptions with_ops() {
  ForwardOptions o;
  o.keep_op_outputs = true;
  return o;
}

struct Fixture : ::testing::Test {
  ModelConfig c = test::small_config();
  Batch batch = test_batch(c);
  ForwardOutput ref = cpu::CpuBackend(c, random_host_weights(c, 5)).forward(batch, with_ops());

  ForwardOutput run(ExerciseOptions o, ExerciseBackend** keep = nullptr) {
    static std::unique_ptr<ExerciseBackend> last;
    last = std::make_unique<ExerciseBackend>(c, random_host_weights(c, 5), std::move(o));
    if (keep) *keep = last.get();
    return last->forward(batch, with_ops());
  }
};

using ExerciseBackendTest = Fixture;

TEST_F(ExerciseBackendTest, TheSolutionsReproduceTheReference) {
  ExerciseOptions o;
  o.kind = Kind::solution;
  ExerciseBackend* b = nullptr;
  const ForwardOutput out = run(o, &b);
  EXPECT_EQ(b->report().learner_ops.size(), 5u) << "every op of the table has a solution";
  EXPECT_TRUE(b->report().reference_ops.empty());
  EXPECT_TRUE(b->report().looks_like.empty()) << b->report().looks_like.begin()->second;
  ASSERT_EQ(out.op_outputs.size(), ref.op_outputs.size());
  for (size_t i = 0; i < out.op_outputs.size(); ++i) {
    const auto& a = out.op_outputs[i].values;
    EXPECT_LE(relative_error(a.data(), ref.op_outputs[i].values.data(), static_cast<int64_t>(a.size())), 1e-5)
        << out.op_outputs[i].name;
  }
  for (int64_t s = 0; s < batch.num_sequences(); ++s) {
    EXPECT_GE(cosine(out.embeddings.data() + s * c.hidden_size, ref.embeddings.data() + s * c.hidden_size,
                     c.hidden_size), 1 - 1e-6);
  }
}

TEST_F(ExerciseBackendTest, OpsNotWrittenYetFallBackToTheReference) {
  ExerciseBackend* b = nullptr;
  const ForwardOutput out = run({}, &b);  // the learner's files, untouched in a fresh checkout
  EXPECT_EQ(b->report().learner_ops.size() + b->report().reference_ops.size(), 5u);
  if (!b->report().learner_ops.empty()) GTEST_SKIP() << "some exercises are solved in this checkout";
  EXPECT_EQ(out.embeddings, ref.embeddings) << "with no learner op, the pass is the reference's, bit for bit";
}

// Every known-wrong answer that plugs into the model: where its op's output differs from the reference's on this
// batch (isolated: fed the reference's input), the backend must name that very mistake there.
TEST_F(ExerciseBackendTest, EveryKnownMistakeThatShowsIsNamed) {
  int wrong = 0, shows = 0, named = 0;
  std::set<std::string> exercises_seen, exercises_showing;
  std::string hidden;
  for (const exercises::Variant& v : exercises::variants()) {
    if (v.kind != Kind::wrong) continue;
    ++wrong;
    exercises_seen.insert(v.exercise);
    ExerciseOptions o;
    o.wrong_file = v.file;
    o.isolate = true;
    ExerciseBackend* b = nullptr;
    const ForwardOutput out = run(o, &b);
    std::string first;  // the first op of this exercise that differs
    for (size_t i = 0; i < out.op_outputs.size() && first.empty(); ++i) {
      const auto& a = out.op_outputs[i].values;
      if (exercises::exercise_for_op(out.op_outputs[i].name) == v.exercise &&
          !(relative_error(a.data(), ref.op_outputs[i].values.data(), static_cast<int64_t>(a.size())) <= 1e-4)) {
        first = out.op_outputs[i].name;
      }
    }
    if (first.empty() && !(relative_error(out.embeddings.data(), ref.embeddings.data(),
                                          static_cast<int64_t>(out.embeddings.size())) <= 1e-4)) {
      first = "pooling";
    }
    if (first.empty()) {
      hidden.append(hidden.empty() ? "" : ", ").append(v.file);
      continue;
    }
    ++shows;
    exercises_showing.insert(v.exercise);
    const auto it = b->report().looks_like.find(first);
    ASSERT_NE(it, b->report().looks_like.end()) << v.file << " differs at " << first << " but is not named there";
    EXPECT_NE(it->second.find(v.file), std::string::npos) << first << " named as " << it->second << ", not " << v.file;
    ++named;
  }
  std::printf("exercise backend: %d known-wrong answers plug into the model; %d show on the test batch and compare "
              "names all %d; not visible on it: %s\n", wrong, shows, named, hidden.empty() ? "none" : hidden.c_str());
  EXPECT_GT(wrong, 0);
  EXPECT_EQ(exercises_showing, exercises_seen) << "every exercise in the model has a mistake compare can name";
}

TEST_F(ExerciseBackendTest, IsolateKeepsThePassOnTheReference) {
  ExerciseOptions o;
  o.wrong_file = "exercises/04_rope/wrong/interleaved_pairs.cpp";
  auto differs = [&](const ForwardOutput& out, const std::string& name) {
    for (size_t i = 0; i < out.op_outputs.size(); ++i) {
      if (out.op_outputs[i].name != name) continue;
      const auto& a = out.op_outputs[i].values;
      return relative_error(a.data(), ref.op_outputs[i].values.data(), static_cast<int64_t>(a.size())) > 1e-4;
    }
    ADD_FAILURE() << "no op " << name;
    return false;
  };
  const ForwardOutput chained = run(o);
  EXPECT_TRUE(differs(chained, "layer 0 / q_rope"));
  EXPECT_TRUE(differs(chained, "layer 0 / attention")) << "without --isolate the mistake flows on";
  o.isolate = true;
  const ForwardOutput isolated = run(o);
  EXPECT_TRUE(differs(isolated, "layer 0 / q_rope"));
  EXPECT_FALSE(differs(isolated, "layer 0 / attention")) << "with --isolate attention gets the reference's input";
  EXPECT_FALSE(differs(isolated, "layer 2 / q_norm"));
}

TEST(ExerciseBackend, AnUnknownWrongAnswerIsRefused) {
  const ModelConfig c = test::small_config();
  ExerciseOptions o;
  o.wrong_file = "exercises/04_rope/wrong/no_such_file.cpp";
  EXPECT_THROW(ExerciseBackend(c, random_host_weights(c, 1), o), qwen3::InputError);
}

TEST(ExerciseCatalog, NamesTheExerciseOfEveryOpItWrites) {
  EXPECT_EQ(exercises::exercise_for_op("layer 3 / q_rope"), "04_rope");
  EXPECT_EQ(exercises::exercise_for_op("layer 0 / k_norm"), "03_rms_norm");
  EXPECT_EQ(exercises::exercise_for_op("layer 1 / attention"), "06_attention");
  EXPECT_EQ(exercises::exercise_for_op("layer 1 / silu_mul"), "05_swiglu");
  EXPECT_EQ(exercises::exercise_for_op("layer 1 / q_proj"), "");
  for (const char* name : {"03_rms_norm", "04_rope", "05_swiglu", "06_attention", "07_pooling"}) {
    ASSERT_NE(exercises::find_exercise(name), nullptr) << name;
    EXPECT_TRUE(exercises::find_exercise(name)->in_model) << name;
  }
}

// ---- qwen3emb exercise, as a learner runs it --------------------------------------------------------------------

TEST(ExerciseCli, ListShowsEveryExerciseWithItsStatus) {
  const test::CommandResult r = test::run_command(test::shell_quote(test::cli_path()) + " exercise list 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  for (const exercises::ExerciseInfo& e : exercises::catalog()) {
    EXPECT_NE(r.out.find(e.name), std::string::npos) << e.name;
  }
  EXPECT_NE(r.out.find("exercises/03_rms_norm/rms_norm.cpp"), std::string::npos) << r.out;
}

TEST(ExerciseCli, HintsAreGradedAndOutOfRangeIsOneLine) {
  const std::string cli = test::shell_quote(test::cli_path());
  const test::CommandResult one = test::run_command(cli + " exercise hint 04_rope 2>&1");
  ASSERT_EQ(one.status, 0) << one.out;
  EXPECT_NE(one.out.find("Hint 1 of"), std::string::npos) << one.out;
  EXPECT_NE(one.out.find("--level 2"), std::string::npos) << one.out;
  const test::CommandResult bad = test::run_command(cli + " exercise hint 04_rope --level 99 2>&1");
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.out.rfind("error: --level 99: exercise 04_rope has hints 1 to ", 0), 0u) << bad.out;
  const test::CommandResult unknown = test::run_command(cli + " exercise check no_such_exercise 2>&1");
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.out.find("no exercise named 'no_such_exercise'"), std::string::npos) << unknown.out;
}

TEST(ExerciseCli, TheSolutionWaitsForAPassingCheckUnlessGivenUp) {
  const std::string cli = test::shell_quote(test::cli_path());
  const test::CommandResult listed = test::run_command(cli + " exercise list 2>&1");
  if (listed.out.find("05_swiglu                  passing") != std::string::npos) {
    GTEST_SKIP() << "05_swiglu is solved in this checkout";
  }
  const test::CommandResult no = test::run_command(cli + " exercise solution 05_swiglu 2>&1");
  EXPECT_EQ(no.status, 1);
  EXPECT_NE(no.out.find("add --give-up"), std::string::npos) << no.out;
  const test::CommandResult yes = test::run_command(cli + " exercise solution 05_swiglu --give-up 2>&1");
  EXPECT_EQ(yes.status, 0);
  EXPECT_NE(yes.out.find("std::exp(-g[i])"), std::string::npos) << yes.out;
}

TEST(ExerciseCli, CompareWithTheExerciseBackendEndsNamingTheFirstDifference) {
  const std::string cli = test::shell_quote(test::cli_path());
  const test::CommandResult r = test::run_command(cli + " compare --backends cpu,exercise --ops --isolate --model " +
                                                  test::shell_quote(test::tiny_model_dir()) + " 2>&1");
  EXPECT_NE(r.out.find("exercise backend: your ops: "), std::string::npos) << r.out;
  // The last line names the first op that differs and its exercise, or says that every op agrees.
  const size_t last = r.out.find_last_of('\n', r.out.size() - 2);
  const std::string tail = r.out.substr(last + 1);
  EXPECT_TRUE(tail.rfind("every op agrees", 0) == 0 || tail.find("— exercise ") != std::string::npos) << tail;
  const test::CommandResult bad = test::run_command(cli + " compare --backends cpu,cpu --isolate 2>&1");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("--isolate needs the exercise backend"), std::string::npos) << bad.out;
}

}  // namespace
