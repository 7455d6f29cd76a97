// libFuzzer target: a sharded checkpoint directory through qwen3::SafetensorsCheckpoint
// (core/safetensors.cpp): model.safetensors.index.json plus the shards it names.
//
// Feeds: each input is split at its first NUL byte:
//   before  the text of model.safetensors.index.json ({"weight_map": {tensor: shard file}, "metadata": ...});
//   after   (optional) the raw bytes of a third shard, "fuzz.safetensors", which the index may name; without a
//           NUL there is no such file.
// The folder also holds two fixed, valid shards written once at start-up (model-00001-of-00002.safetensors:
// model.embed_tokens.weight F32 [2, 2], model.norm.weight BF16 [2]; model-00002-of-00002.safetensors:
// layers.0.mlp.up_proj.weight F16 [3], no "model." prefix) and a subfolder "sub", so an index can name real
// shards, missing ones, a directory, the index itself, or the fuzzed one.
// On a checkpoint that opens: names(), get()/find() of each name with and without the "model." prefix, to_f32
// of each tensor. Expected: a return or qwen3::Error. Finding: anything else (tests/fuzz/fuzz_common.h).
#include <filesystem>
#include <string>
#include <vector>

#include "core/safetensors.h"
#include "tests/fuzz/fuzz_common.h"

using namespace qwen3;
namespace fs = std::filesystem;

namespace {

const fs::path& checkpoint_dir() {
  static const fs::path dir = [] {
    const fs::path d = fuzz::scratch_dir() / "ckpt";
    fs::create_directories(d / "sub");
    const float e[4] = {1, 2, 3, 4}, n[2] = {0.5f, -0.5f}, u[3] = {1e-3f, 7, -2};
    write_safetensors((d / "model-00001-of-00002.safetensors").string(),
                      {{"model.embed_tokens.weight", DType::F32, {2, 2}, e}, {"model.norm.weight", DType::BF16, {2}, n}});
    write_safetensors((d / "model-00002-of-00002.safetensors").string(),
                      {{"layers.0.mlp.up_proj.weight", DType::F16, {3}, u}});
    return d;
  }();
  return dir;
}

}  // namespace

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = checkpoint_dir();
  const std::string_view in = fuzz::as_text(data, size);
  const size_t nul = in.find('\0');
  fuzz::write_file(dir / "model.safetensors.index.json", in.substr(0, nul));
  std::error_code ec;
  if (nul != std::string_view::npos) fuzz::write_file(dir / "fuzz.safetensors", in.substr(nul + 1));
  else fs::remove(dir / "fuzz.safetensors", ec);

  fuzz::guard([&] {
    SafetensorsCheckpoint ck(dir.string());
    for (const std::string& name : ck.names()) {
      const TensorView& t = ck.get(name);
      QWEN3_FUZZ_CHECK(ck.find(name) == &t, name);
      if (name.rfind(kModelPrefix, 0) != 0) QWEN3_FUZZ_CHECK(ck.find(kModelPrefix + name) != nullptr, name);
      (void)to_f32(t);
    }
    (void)ck.find("model.");
    try {
      (void)ck.get("model.no.such.tensor");
      QWEN3_FUZZ_CHECK(false, "get() of an absent tensor returned");
    } catch (const ShapeError&) {
    }
  });
  return 0;
}
