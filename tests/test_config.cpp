// config.json parsing, the presets of the released models, batches and pooling helpers.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/batch.h"
#include "core/config.h"
#include "core/error.h"
#include "core/pooling.h"
#include "core/tiny_model.h"
#include "core/weights.h"
#include "tests/test_util.h"

using namespace qwen3;
using qwen3::test::TempDir;

namespace {

nlohmann::json peer_config() {
  return nlohmann::json::parse(qwen3::test::read_file(qwen3::test::test_data("peer_golden/config.json")));
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Config, ParsesTheFields) {
  const ModelConfig c = ModelConfig::from_json(peer_config(), "config.json");
  EXPECT_EQ(c.hidden_size, 48);
  EXPECT_EQ(c.intermediate_size, 128);
  EXPECT_EQ(c.num_hidden_layers, 2);
  EXPECT_EQ(c.num_attention_heads, 4);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim, 16);  // not 48 / 4 = 12
  EXPECT_EQ(c.vocab_size, 151669);
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.q_dim(), 64);
  EXPECT_EQ(c.kv_dim(), 32);
  EXPECT_EQ(c.group_size(), 2);
}

TEST(Config, HeadDimDefaultsToHiddenOverHeads) {
  auto j = peer_config();
  j.erase("head_dim");
  EXPECT_EQ(ModelConfig::from_json(j, "x").head_dim, 12);
}

TEST(Config, MissingFieldIsNamed) {
  for (const char* field : {"hidden_size", "num_key_value_heads", "rms_norm_eps", "rope_theta", "vocab_size",
                            "max_position_embeddings", "intermediate_size", "num_hidden_layers"}) {
    auto j = peer_config();
    j.erase(field);
    const std::string msg = error_of([&] { ModelConfig::from_json(j, "dir/config.json"); });
    EXPECT_NE(msg.find(std::string("missing field '") + field + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dir/config.json"), std::string::npos) << msg;
  }
}

// transformers 5.x writes RoPE's base inside rope_parameters (found on the first checkpoint transformers itself
// saved, scripts/hf_checkpoint_check.py): read from there, checked against a top-level rope_theta when both are
// present; any RoPE variant but the default is refused, from either field.
TEST(Config, RopeThetaInsideRopeParameters) {
  auto j = peer_config();
  j.erase("rope_theta");
  j["rope_parameters"] = {{"rope_theta", 5e5}, {"rope_type", "default"}};
  EXPECT_DOUBLE_EQ(ModelConfig::from_json(j, "x").rope_theta, 5e5);
  j["rope_theta"] = 5e5;  // both, agreeing
  EXPECT_DOUBLE_EQ(ModelConfig::from_json(j, "x").rope_theta, 5e5);
  j["rope_theta"] = 1e6;  // both, disagreeing
  EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("disagree"), std::string::npos);
  j = peer_config();
  j.erase("rope_theta");
  j["rope_parameters"] = {{"rope_type", "default"}};
  EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("missing field 'rope_theta'"), std::string::npos);
  for (const char* field : {"rope_parameters", "rope_scaling"}) {
    j = peer_config();
    j[field] = {{"rope_theta", 1e6}, {"rope_type", "yarn"}, {"factor", 4.0}};
    EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("not supported"), std::string::npos) << field;
    j[field] = "default";
    EXPECT_THROW(ModelConfig::from_json(j, "x"), FormatError) << field;
  }
  j = peer_config();
  j["rope_scaling"] = {{"type", "default"}};  // an explicit default is the same as none
  EXPECT_DOUBLE_EQ(ModelConfig::from_json(j, "x").rope_theta, 1e6);
}

TEST(Config, WrongTypesAndInconsistentValues) {
  auto j = peer_config();
  j["hidden_size"] = "48";
  EXPECT_THROW(ModelConfig::from_json(j, "x"), FormatError);
  j = peer_config();
  j["num_key_value_heads"] = 3;  // 4 heads are not a multiple of 3
  EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("multiple"), std::string::npos);
  j = peer_config();
  j["hidden_size"] = -4;
  EXPECT_THROW(ModelConfig::from_json(j, "x"), FormatError);
  j = peer_config();
  j["model_type"] = "llama";
  EXPECT_THROW(ModelConfig::from_json(j, "x"), FormatError);
}

TEST(Config, FileErrors) {
  TempDir tmp;
  EXPECT_THROW(ModelConfig::from_file(tmp.file("absent.json")), IoError);
  qwen3::test::write_file(tmp.file("bad.json"), "{ this is not json");
  const std::string msg = error_of([&] { ModelConfig::from_file(tmp.file("bad.json")); });
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
}

TEST(Config, RoundTripsThroughJson) {
  const ModelConfig c = tiny_config();
  const ModelConfig d = ModelConfig::from_json(c.to_json(), "tiny");
  EXPECT_EQ(describe(c), describe(d));
  EXPECT_NE(c.q_dim(), c.hidden_size);  // the tiny model's attention is non-square on purpose
}

// Parameter counts of the released checkpoints (without the 8B's lm_head), as published.
TEST(Config, PresetsMatchThePublishedParameterCounts) {
  EXPECT_EQ(ModelConfig::preset("0.6b").num_parameters(), 595776512);
  EXPECT_EQ(ModelConfig::preset("4b").num_parameters(), 4021774336);
  EXPECT_EQ(ModelConfig::preset("8b").num_parameters(), 8188515328 - 151665LL * 4096);
  const ModelConfig small = ModelConfig::preset("small");  // every row length (hidden, q_dim, intermediate): whole 256-value blocks
  for (const int64_t n : {small.hidden_size, small.intermediate_size, small.q_dim()}) EXPECT_EQ(n % 256, 0) << n;
  EXPECT_THROW(ModelConfig::preset("13b"), InputError);
}

TEST(Weights, SpecsFollowTheConfig) {
  const ModelConfig c = ModelConfig::from_json(peer_config(), "x");
  const auto specs = tensor_specs(c);
  ASSERT_EQ(specs.size(), 24u);  // embed + 2 layers x 11 + norm
  EXPECT_EQ(specs[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(specs[2].name, "model.layers.0.self_attn.q_proj.weight");
  EXPECT_EQ(specs[2].shape, (std::vector<int64_t>{64, 48}));
  EXPECT_EQ(specs[5].shape, (std::vector<int64_t>{48, 64}));  // o_proj
  EXPECT_EQ(specs.back().name, "model.norm.weight");
  int64_t total = 0;
  for (const auto& s : specs) total += numel(s.shape);
  EXPECT_EQ(total, c.num_parameters());
}

TEST(Weights, RandomWeightsAreDeterministicAndScaled) {
  const ModelConfig c = tiny_config();
  const auto specs = tensor_specs(c);
  const TensorSpec& q = specs[2];  // q_proj: fan_in 64, std 1/8
  std::vector<float> a(numel(q.shape)), b(numel(q.shape));
  fill_random(q, 7, a.data());
  fill_random(q, 7, b.data());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[5], random_weight(q, 7, 5));
  fill_random(q, 8, b.data());
  EXPECT_NE(a, b);
  double ss = 0;
  for (float x : a) ss += double(x) * x;
  EXPECT_NEAR(std::sqrt(ss / a.size()), 1.0 / 8.0, 0.01);
}

TEST(Batch, PacksSequencesEndToEnd) {
  const Batch b = Batch::pack({{5, 6, 7}, {8}, {9, 10}});
  EXPECT_EQ(b.num_sequences(), 3);
  EXPECT_EQ(b.num_tokens(), 6);
  EXPECT_EQ(b.offsets, (std::vector<int64_t>{0, 3, 4, 6}));
  EXPECT_EQ(b.positions(), (std::vector<int32_t>{0, 1, 2, 0, 0, 1}));
  EXPECT_EQ(b.last_token(0), 2);
  EXPECT_EQ(b.last_token(2), 5);
  EXPECT_EQ(b.max_length(), 3);
  EXPECT_THROW(Batch::pack({}), InputError);
  EXPECT_THROW(Batch::pack({{1}, {}}), InputError);
}

TEST(Batch, ValidateRejectsWhatTheModelCannotTake) {
  ModelConfig c = tiny_config();
  c.max_position_embeddings = 4;
  EXPECT_NO_THROW(validate(Batch::pack({{1, 2, 3, 4}}), c));
  const std::string msg = error_of([&] { validate(Batch::pack({{1}, {1, 2, 3, 4, 5}}), c); });
  EXPECT_NE(msg.find("sequence 1 has 5 tokens"), std::string::npos) << msg;
  EXPECT_THROW(validate(Batch::pack({{static_cast<int32_t>(c.vocab_size)}}), c), InputError);
  EXPECT_THROW(validate(Batch::pack({{-1}}), c), InputError);
}

TEST(Pooling, NormaliseAndMatryoshka) {
  std::vector<float> v(64);
  for (int i = 0; i < 64; ++i) v[i] = static_cast<float>(i + 1);
  l2_normalize(v.data(), 64);
  double n = 0;
  for (float x : v) n += double(x) * x;
  EXPECT_NEAR(n, 1.0, 1e-6);
  const auto t = matryoshka_truncate(v.data(), 64, 32);
  ASSERT_EQ(t.size(), 32u);
  // Re-normalised prefix: proportional to 1..32.
  EXPECT_NEAR(t[31] / t[0], 32.0, 1e-4);
  n = 0;
  for (float x : t) n += double(x) * x;
  EXPECT_NEAR(n, 1.0, 1e-6);
  EXPECT_THROW(matryoshka_truncate(v.data(), 64, 31), InputError);
  EXPECT_THROW(matryoshka_truncate(v.data(), 64, 65), InputError);
  std::vector<float> zero(40, 0.0f);
  l2_normalize(zero.data(), 40);
  EXPECT_EQ(zero[0], 0.0f);
}

// ---- limits (issue: hardening) ------------------------------------------------------------------------------

// config.json from outside: deep nesting refused while parsing (a 100,000-deep model_type overflowed the stack),
// numbers beyond a double's range are the file's error (1e400 escaped as the JSON library's raw exception).
TEST(Config, DeepNestingAndHugeNumbersAreTheFilesErrors) {
  TempDir tmp;
  std::string text = peer_config().dump();
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  qwen3::test::write_file(tmp.file("deep.json"), "{\"model_type\": " + deep + ", " + text.substr(1));
  std::string msg = error_of([&] { ModelConfig::from_file(tmp.file("deep.json")); });
  EXPECT_NE(msg.find("nested deeper than 64"), std::string::npos) << msg;
  EXPECT_NE(msg.find("deep.json"), std::string::npos) << msg;
  qwen3::test::write_file(tmp.file("huge.json"), "{\"rms_norm_eps\": 1e400, " + text.substr(1));
  msg = error_of([&] { ModelConfig::from_file(tmp.file("huge.json")); });
  EXPECT_NE(msg.find("huge.json: not valid JSON"), std::string::npos) << msg;
}

// Sizes whose products overflowed int64 (flops printed negative counts; a parameter count wrapped to 0 and passed
// the memory guard) are refused at the field, naming its limit; a missing head_dim that would be 0 too.
TEST(Config, SizesAboveTheirLimitsAndAZeroHeadDimAreRefused) {
  for (const char* field : {"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                            "vocab_size", "max_position_embeddings", "head_dim"}) {
    auto j = peer_config();
    j[field] = int64_t{1} << 40;
    const std::string msg = error_of([&] { ModelConfig::from_json(j, "x"); });
    EXPECT_NE(msg.find(std::string("'") + field + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("above the limit"), std::string::npos) << msg;
  }
  auto j = peer_config();
  j["hidden_size"] = uint64_t{18446744073709551615u};  // does not fit int64 at all
  EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("above the limit"), std::string::npos);
  j = peer_config();
  j.erase("head_dim");
  j["hidden_size"] = 2;  // 2 / 4 heads = 0
  EXPECT_NE(error_of([&] { ModelConfig::from_json(j, "x"); }).find("is 0"), std::string::npos);
  // at the limits every count the project forms stays positive
  j = peer_config();
  j["hidden_size"] = int64_t{1} << 20, j["intermediate_size"] = int64_t{1} << 22, j["num_hidden_layers"] = 4096;
  j["num_attention_heads"] = 4096, j["num_key_value_heads"] = 4096, j["head_dim"] = 4096;
  j["vocab_size"] = int64_t{1} << 24;
  const ModelConfig c = ModelConfig::from_json(j, "x");
  EXPECT_GT(c.num_parameters(), 0);
  EXPECT_GT(c.q_dim(), 0);
}
