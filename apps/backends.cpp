#include "apps/backends.h"

#include <iostream>

#include "core/error.h"
#include "core/model_dir.h"
#include "core/safetensors.h"
#include "core/weights.h"
#include "exercises/common/exercise_backend.h"
#include "ref_cpu/cpu_backend.h"
#ifdef QWEN3_HAVE_CUDA
#include "cuda_naive/cuda_naive_backend.h"
#endif
#ifdef QWEN3_HAVE_CUDA_OPT
#include "cuda_opt/cuda_opt_backend.h"
#endif

namespace qwen3::cli {

std::vector<std::string> backend_names() { return {"cpu", "cuda_naive", "cuda_opt", "exercise"}; }

std::unique_ptr<Backend> make_backend(const std::string& name, const WeightsSource& source) {
  const bool random = !source.preset.empty();
  if (name == "cpu") {
    if (random) {
      const ModelConfig c = ModelConfig::preset(source.preset);
      return std::make_unique<cpu::CpuBackend>(c, random_host_weights(c, source.seed));
    }
    return cpu::CpuBackend::from_dir(source.model_dir);
  }
  if (name == "cuda_naive") {
#ifdef QWEN3_HAVE_CUDA
    if (random) return CudaNaiveBackend::random(ModelConfig::preset(source.preset), source.seed);
    return CudaNaiveBackend::from_dir(source.model_dir);
#else
    throw InputError("backend 'cuda_naive' is not built: this build found no CUDA toolkit");
#endif
  }
  if (name == "cuda_opt") {
#ifdef QWEN3_HAVE_CUDA_OPT
    CudaOptOptions opt;
    opt.gemm = cuda_opt::parse_gemm_path(source.gemm);
    opt.graph = source.graph;
    if (random) return CudaOptBackend::random(ModelConfig::preset(source.preset), source.seed, opt);
    auto b = CudaOptBackend::from_dir(source.model_dir, opt);
    if (b->quantised_projections() > 0) std::cerr << "qwen3emb: cuda_opt runs " << b->quantised_description() << "\n";
    return b;
#else
    throw InputError("backend 'cuda_opt' is not built: this build found no CUDA toolkit with cuBLAS");
#endif
  }
  if (name == "exercise") {  // the CPU reference's pass with the learner's ops (exercises/common/exercise_backend.h)
    exercises::ExerciseOptions opt;
    opt.isolate = source.exercise_isolate;
    const ModelConfig c = random ? ModelConfig::preset(source.preset) : load_model_config(source.model_dir);
    HostWeights w = random ? random_host_weights(c, source.seed) : load_model_weights(source.model_dir, c);
    return std::make_unique<exercises::ExerciseBackend>(c, std::move(w), opt);
  }
  throw InputError("unknown backend '" + name + "' (expected cpu, cuda_naive, cuda_opt or exercise)");
}

}  // namespace qwen3::cli
