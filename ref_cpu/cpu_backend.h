// ref_cpu: the Eigen fp32 reference backend. The forward pass in cpu_backend.cpp reads like the model code.
#pragma once
#include <memory>
#include <string>

#include "core/backend.h"
#include "core/weights.h"
#include "ref_cpu/op_table.h"
#include "ref_cpu/ops.h"

namespace qwen3::cpu {

class CpuBackend final : public Backend {
 public:
  // ops: the table the forward pass calls (ref_cpu/op_table.h); the reference's unless a caller (the course's
  // exercise backend) brings its own. name: what name() reports ("cpu" for the reference).
  CpuBackend(const ModelConfig& config, HostWeights weights, OpTable ops = reference_op_table(),
             std::string name = "cpu");
  // Loads a model directory (config.json + safetensors) as f32.
  static std::unique_ptr<CpuBackend> from_dir(const std::string& dir);
  std::string name() const override { return name_; }
  const ModelConfig& config() const override { return config_; }
  ForwardOutput forward(const Batch& batch, const ForwardOptions& options = {}) override;
  // Tests: count the multiply-adds of every following forward() into `counter` (null: stop counting).
  void count_ops(OpCounter* counter) { counter_ = counter; }

 private:
  ModelConfig config_;
  HostWeights w_;
  OpTable ops_;
  std::string name_;
  OpCounter* counter_ = nullptr;
};

}  // namespace qwen3::cpu
