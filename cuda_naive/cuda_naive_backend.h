// cuda_naive: the Qwen3 forward pass on the GPU in fp32, one simple kernel per op (cuda_naive/kernels.cu).
// The same steps in the same order as ref_cpu/cpu_backend.cpp, with the same scratch buffer names, so the two
// can be read side by side and compared layer by layer.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "core/backend.h"
#include "core/weights.h"
#include "cuda_common/device.h"

namespace qwen3 {

// (Its kernels and launchers live in namespace qwen3::cuda_naive: kernels.cuh.)
class CudaNaiveBackend final : public Backend {
 public:
  // Uploads host weights (shapes checked against the config: ShapeError). Throws CudaError
  // "backend 'cuda_naive': no CUDA device: ..." without a GPU, InputError when the weights do not fit in free
  // GPU memory.
  CudaNaiveBackend(const ModelConfig& config, const HostWeights& weights);
  // Loads a model directory (config.json + safetensors) as f32, then uploads it.
  static std::unique_ptr<CudaNaiveBackend> from_dir(const std::string& dir);
  // Random weights drawn in place on the device, equal bit for bit to random_host_weights(config, seed);
  // nothing is held on the host, so an 8B model needs only its 30 GB of GPU memory.
  static std::unique_ptr<CudaNaiveBackend> random(const ModelConfig& config, uint64_t seed);

  std::string name() const override { return "cuda_naive"; }
  const ModelConfig& config() const override { return config_; }
  ForwardOutput forward(const Batch& batch, const ForwardOptions& options = {}) override;

  // The device weights, for tests that copy them back.
  const ModelWeights<DeviceTensor>& weights() const { return w_; }
  // Bytes of GPU memory the f32 weights of `config` take (each tensor starts on a 256-byte boundary).
  static uint64_t weight_bytes(const ModelConfig& config);

 private:
  // Checks for a device and the free memory, allocates every weight tensor (uninitialised).
  explicit CudaNaiveBackend(const ModelConfig& config);

  ModelConfig config_;
  CudaStream stream_;                  // every kernel and copy of this backend, in order
  DeviceBuffer<float> weight_storage_; // one allocation holding every weight tensor
  ModelWeights<DeviceTensor> w_;       // named views into weight_storage_
  DeviceBuffer<float> inv_freq_;       // [D/2] RoPE inverse frequencies (cuda_common/rope_inv_freq.h)
};

}  // namespace qwen3
