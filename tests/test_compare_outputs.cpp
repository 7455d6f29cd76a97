// core/compare_outputs.h: two backends' outputs that differ in shape (fewer layers, fewer ops, other sizes) are an
// error naming the backend, never a comparison of the shorter list; a fused op is listed, not compared.
#include <gtest/gtest.h>

#include "core/compare_outputs.h"
#include "core/error.h"
#include "tests/test_util.h"

namespace qwen3 {
namespace {

// A model of 3 layers, hidden 40; a batch of 2 sequences, 5 tokens.
struct Fixture {
  ModelConfig c = test::small_config();
  Batch batch = Batch::pack({{1, 2, 3}, {4, 5}});
  std::string name_a = "cpu", name_b = "other";

  // What a backend that runs the whole pass returns: embeddings [2, H], L + 2 states [5, H], and with ops every
  // op of every layer.
  ForwardOutput full(bool ops) const {
    const auto H = static_cast<size_t>(c.hidden_size);
    ForwardOutput o;
    o.embeddings.assign(2 * H, 0.5f);
    o.hidden_states.assign(static_cast<size_t>(c.num_hidden_layers) + 2, std::vector<float>(5 * H, 1.0f));
    if (ops) {
      for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
        for (const char* op : kOpNames) o.op_outputs.push_back({"layer " + std::to_string(l) + " / " + op, {1, 2, 3}});
      }
    }
    return o;
  }
};

// Runs f, expecting an Error whose message holds every one of `needles`.
template <class F>
void expect_error(F f, std::initializer_list<const char*> needles) {
  try {
    f();
    ADD_FAILURE() << "no Error; expected one mentioning " << *needles.begin();
  } catch (const Error& e) {
    for (const char* needle : needles) EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(CompareOutputs, EqualShapesPass) {
  Fixture f;
  const ForwardOutput a = f.full(true), b = f.full(true);
  EXPECT_NO_THROW(require_comparable_states({f.name_a, a}, {f.name_b, b}, f.c, f.batch));
  const OpPairs p = pair_ops({f.name_a, a}, {f.name_b, b}, f.c);
  EXPECT_EQ(p.pairs.size(), a.op_outputs.size());
  EXPECT_TRUE(p.fused.empty());
  EXPECT_EQ(p.pairs[0].first, &a.op_outputs[0]);
  EXPECT_EQ(p.pairs[0].second, &b.op_outputs[0]);
}

TEST(CompareOutputs, FewerLayersOrOtherSizesAreErrorsNamingTheBackend) {
  Fixture f;
  const ForwardOutput a = f.full(false);
  ForwardOutput fewer = f.full(false);
  fewer.hidden_states.pop_back();  // one layer short
  expect_error([&] { require_comparable_states({f.name_a, a}, {f.name_b, fewer}, f.c, f.batch); },
               {"backend other returned 4 hidden states", "3 layers has 5", "cannot be compared layer by layer"});
  expect_error([&] { require_comparable_states({f.name_b, fewer}, {f.name_a, a}, f.c, f.batch); },
               {"backend other returned 4 hidden states"});
  ForwardOutput none = f.full(false);
  none.hidden_states.clear();  // a backend that ignored keep_hidden_states
  expect_error([&] { require_comparable_states({f.name_a, a}, {f.name_b, none}, f.c, f.batch); },
               {"returned 0 hidden states"});
  ForwardOutput short_state = f.full(false);
  short_state.hidden_states[2].resize(4 * 40);  // a token missing
  expect_error([&] { require_comparable_states({f.name_a, a}, {f.name_b, short_state}, f.c, f.batch); },
               {"other's hidden state 2 has 160 values, not 5 tokens × 40"});
  ForwardOutput one_embedding = f.full(false);
  one_embedding.embeddings.resize(40);
  expect_error([&] { require_comparable_states({f.name_a, a}, {f.name_b, one_embedding}, f.c, f.batch); },
               {"backend other returned 40 embedding values for 2 sequences"});
}

TEST(CompareOutputs, OpsInSomeLayersOnlyAreAnError) {
  Fixture f;
  const ForwardOutput a = f.full(true);
  // A pass that stopped after layer 0 (17 ops instead of 51).
  ForwardOutput first_layer = f.full(true);
  first_layer.op_outputs.resize(std::size(kOpNames));
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, first_layer}, f.c); },
               {"backend other recorded", "in 1 of the model's 3 layers", "cannot be compared op by op"});
  expect_error([&] { pair_ops({f.name_b, first_layer}, {f.name_a, a}, f.c); }, {"backend other recorded"});
  // One op missing in one layer.
  ForwardOutput hole = f.full(true);
  hole.op_outputs.erase(hole.op_outputs.begin() + static_cast<std::ptrdiff_t>(std::size(kOpNames)) + 6);  // layer 1
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, hole}, f.c); }, {"recorded q_rope in 2 of the model's 3 layers"});
  // A layer the model does not have, a name twice, a name of another form.
  ForwardOutput beyond = f.full(true);
  beyond.op_outputs.push_back({"layer 3 / q_proj", {1, 2, 3}});
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, beyond}, f.c); },
               {"recorded 'layer 3 / q_proj' but the model has 3 layers"});
  ForwardOutput twice = f.full(true);
  twice.op_outputs.push_back(twice.op_outputs[0]);
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, twice}, f.c); }, {"recorded 'layer 0 / input_norm' twice"});
  for (const char* bad : {"q_proj", "layer x / q_proj", "layer 1 /", "layer -1 / q_proj", "layer 99999999999 / q"}) {
    ForwardOutput odd = f.full(true);
    odd.op_outputs.push_back({bad, {1}});
    expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, odd}, f.c); }, {"not 'layer N / op'"});
  }
}

TEST(CompareOutputs, AFusedOpIsListedNotComparedAndSizesMustAgree) {
  Fixture f;
  const ForwardOutput a = f.full(true);
  ForwardOutput fused = f.full(true);
  std::erase_if(fused.op_outputs, [](const OpOutput& o) { return o.name.ends_with("/ q_norm"); });
  const OpPairs p = pair_ops({f.name_a, a}, {f.name_b, fused}, f.c);
  EXPECT_EQ(p.pairs.size(), a.op_outputs.size() - 3);
  EXPECT_EQ(p.fused, std::vector<std::string>{"q_norm"});
  // the same from the other side
  EXPECT_EQ(pair_ops({f.name_b, fused}, {f.name_a, a}, f.c).fused, std::vector<std::string>{"q_norm"});

  ForwardOutput wider = f.full(true);
  wider.op_outputs[4].values.push_back(4);
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, wider}, f.c); },
               {"op 'layer 0 / q_norm' has 3 values in cpu and 4 in other"});
  ForwardOutput nothing_shared = f.full(false);
  expect_error([&] { pair_ops({f.name_a, a}, {f.name_b, nothing_shared}, f.c); },
               {"cpu and other recorded no op under the same name (cpu: 51 ops, other: 0)"});
}

}  // namespace
}  // namespace qwen3
