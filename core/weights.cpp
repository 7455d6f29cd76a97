#include "core/weights.h"

#include <sys/sysinfo.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/rng.h"
#include "core/safetensors.h"

namespace qwen3 {

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << "]";
  return s.str();
}

std::vector<TensorSpec> tensor_specs(const ModelConfig& c) {
  ModelWeights<int> dummy;
  dummy.layers.resize(c.num_hidden_layers);
  std::vector<TensorSpec> specs;
  for_each_tensor(c, dummy, [&](const TensorSpec& s, int&) { specs.push_back(s); });
  return specs;
}

// U(-a, a) has std a / sqrt(3). sqrt is exactly rounded (IEEE 754), so `a` has the same bits everywhere.
float random_half_width(const TensorSpec& spec) {
  switch (spec.role) {
    case TensorRole::Embedding: return static_cast<float>(std::sqrt(3.0));
    case TensorRole::Norm: return static_cast<float>(0.1 * std::sqrt(3.0));
    case TensorRole::Projection: return static_cast<float>(std::sqrt(3.0 / static_cast<double>(spec.shape.back())));
  }
  return 0.0f;
}

// This file is compiled with -ffp-contract=off: `1 + r * a` must not become an FMA on some machines only.
float random_weight(const TensorSpec& spec, uint64_t seed, int64_t i) {
  const float r = random_symmetric(seed, static_cast<uint64_t>(spec.index), static_cast<uint64_t>(i));
  const float x = r * random_half_width(spec);
  return spec.role == TensorRole::Norm ? 1.0f + x : x;
}

void fill_random(const TensorSpec& spec, uint64_t seed, float* out) {
  const int64_t n = numel(spec.shape);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = random_weight(spec, seed, i);
}

void require_host_memory(uint64_t bytes, const std::string& what) {
  // MemAvailable from /proc/meminfo is what the kernel thinks can be allocated without swapping.
  std::ifstream f("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (f >> key >> kb >> unit) {
    if (key == "MemAvailable:") {
      const uint64_t avail = kb * 1024;
      if (bytes > avail) {
        throw InputError(what + " needs " + std::to_string(bytes) + " bytes of host memory but only " +
                         std::to_string(avail) + " are available");
      }
      return;
    }
  }
}

static uint64_t host_bytes(const ModelConfig& c) { return static_cast<uint64_t>(c.num_parameters()) * sizeof(float); }

HostWeights load_host_weights(const SafetensorsCheckpoint& ckpt, const ModelConfig& c) {
  require_host_memory(host_bytes(c), "loading " + ckpt.dir() + " as f32");
  HostWeights w;
  w.layers.resize(c.num_hidden_layers);
  for_each_tensor(c, w, [&](const TensorSpec& spec, HostTensor& t) {
    const TensorView& view = ckpt.get(spec.name);  // ShapeError if missing
    if (view.shape != spec.shape) {
      throw ShapeError(view.file + ": tensor '" + spec.name + "' has shape " + shape_str(view.shape) +
                       " but the config needs " + shape_str(spec.shape));
    }
    t.shape = spec.shape;
    t.data.resize(numel(spec.shape));
    to_f32(view, t.data.data());
  });
  return w;
}

HostWeights random_host_weights(const ModelConfig& c, uint64_t seed) {
  require_host_memory(host_bytes(c), "random f32 weights for " + describe(c));
  HostWeights w;
  w.layers.resize(c.num_hidden_layers);
  for_each_tensor(c, w, [&](const TensorSpec& spec, HostTensor& t) {
    t.shape = spec.shape;
    t.data.resize(numel(spec.shape));
    fill_random(spec, seed, t.data.data());
  });
  return w;
}

}  // namespace qwen3
