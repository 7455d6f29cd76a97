// libFuzzer target: a model's config.json through qwen3::ModelConfig::from_file (core/config.cpp).
//
// Feeds: each input is written as config.json and read with from_file (which parses it and calls from_json).
// On a config that is accepted, it is used as the program uses one: describe(), q_dim(), kv_dim(), group_size(),
// num_parameters() (the sizes must not overflow: UBSan reports signed overflow), to_json() and back through
// from_json, which must give the same config.
// Expected: a return or qwen3::Error. Finding: anything else, e.g. a raw nlohmann::json exception
// (tests/fuzz/fuzz_common.h).
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = (fuzz::scratch_dir() / "config.json").string();
  fuzz::write_file(path, fuzz::as_text(data, size));
  fuzz::guard([&] {
    const ModelConfig c = ModelConfig::from_file(path);
    (void)describe(c);
    (void)c.q_dim();
    (void)c.kv_dim();
    (void)c.group_size();
    (void)c.num_parameters();
    const ModelConfig back = ModelConfig::from_json(c.to_json(), "to_json()");
    QWEN3_FUZZ_CHECK(back.hidden_size == c.hidden_size && back.intermediate_size == c.intermediate_size &&
                         back.num_hidden_layers == c.num_hidden_layers &&
                         back.num_attention_heads == c.num_attention_heads &&
                         back.num_key_value_heads == c.num_key_value_heads && back.head_dim == c.head_dim &&
                         back.vocab_size == c.vocab_size && back.max_position_embeddings == c.max_position_embeddings &&
                         back.rms_norm_eps == c.rms_norm_eps && back.rope_theta == c.rope_theta &&
                         back.tie_word_embeddings == c.tie_word_embeddings,
                     "from_json(to_json(c)) differs from c: " + describe(c) + " vs " + describe(back));
  });
  return 0;
}
