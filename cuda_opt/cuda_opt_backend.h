// cuda_opt: the Qwen3 forward pass for speed. bf16 weights and activations (fp32 residual stream, fp32
// accumulation, fp32 norm and softmax statistics), and per layer only eight kernels:
//   rms_norm -> fused QKV GEMM -> q/k-norm + RoPE -> flash attention -> o_proj GEMM (+ residual)
//   -> rms_norm -> gate+up GEMM (+ SwiGLU) -> down GEMM (+ residual)
// with the GEMMs from the top of the GEMM ladder (linear.h) and the whole pass captured once per batch shape in a
// CUDA graph and replayed, so the launch gaps the seed analysis's trace shows disappear. Read it next to
// cuda_naive/cuda_naive_backend.cpp: the same steps, fused.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/weights.h"
#include "cuda_common/device.h"
#include "cuda_opt/gemm/gemm.h"
#include "cuda_opt/linear.h"
#include "cuda_opt/quant_linear.h"

namespace qwen3 {

struct CudaOptOptions {
  cuda_opt::GemmPath gemm = cuda_opt::GemmPath::kLadder;  // --gemm ladder|cublas
  bool graph = true;                                       // --no-graph: launch kernel by kernel every pass
};

class CudaOptBackend final : public Backend {
 public:
  // Uploads host weights as bf16 (shapes checked against the config: ShapeError). CudaError without a GPU,
  // InputError when the weights do not fit in free GPU memory.
  // from_dir on a GGUF model with --gemm ladder also uploads its Q8_0 and Q4_K projections as they are stored
  // (quant_linear.h): at up to kQuantMaxTokens tokens those run the weight-only GEMMs, above it the bf16 GEMMs on
  // the dequantised copy. Both copies are kept (a memory-saving variant would dequantise layer by layer).
  CudaOptBackend(const ModelConfig& config, const HostWeights& weights, CudaOptOptions options = {});
  ~CudaOptBackend() override;
  static std::unique_ptr<CudaOptBackend> from_dir(const std::string& dir, CudaOptOptions options = {});
  // Random weights drawn on the device (the same fp32 values as every other backend, then rounded to bf16).
  static std::unique_ptr<CudaOptBackend> random(const ModelConfig& config, uint64_t seed, CudaOptOptions options = {});

  std::string name() const override { return "cuda_opt"; }
  const ModelConfig& config() const override { return config_; }
  // With keep_hidden_states or keep_op_outputs the pass runs kernel by kernel (copies in between); otherwise
  // the first pass of a batch shape runs kernel by kernel and is captured, later ones replay the graph.
  ForwardOutput forward(const Batch& batch, const ForwardOptions& options = {}) override;

  const CudaOptOptions& options() const { return options_; }
  // Which GEMM kernels the ladder path uses on this device: "wgmma (step 10)" or "mma.sync (step 9)".
  std::string ladder_kernel() const;
  // Projections (of 4 per layer) that hold quantised weights, and a line saying which and when they are used
  // ("" when none).
  int quantised_projections() const { return quantised_; }
  std::string quantised_description() const;
  // Bytes of GPU memory the weights take (bf16 matrices, fp32 norm vectors).
  static uint64_t weight_bytes(const ModelConfig& config);

  // The weights as the kernels read them (bf16 matrices fused per layer, fp32 norms), views into the storage.
  struct Layer {
    const __nv_bfloat16* wqkv;   // [(NH + 2·NKV)·D, H]  q_proj, k_proj, v_proj rows one after the other
    const __nv_bfloat16* wo;     // [H, NH·D]
    const __nv_bfloat16* wgu;    // [2I, H]  gate_proj and up_proj rows interleaved: 2i gate, 2i+1 up
    const __nv_bfloat16* wdown;  // [H, I]
    const float* input_norm;     // [H]
    const float* post_norm;      // [H]
    const float* q_norm;         // [D]
    const float* k_norm;         // [D]
    // A GGUF model's quantised projections, the same rows in the same order (kind kNone: bf16 only)
    cuda_opt::QuantMatrix q_qkv, q_o, q_gu, q_down;
  };

 private:
  struct Pass;  // the buffers (and graph) of one batch shape
  CudaOptBackend(const ModelConfig& config, CudaOptOptions options);  // allocates, fills nothing
  // Writes tensor `spec` (fp32 values in device memory) into its place in the fused bf16 / fp32 storage.
  void place(const TensorSpec& spec, const float* src);
  // Uploads the Q8_0 / Q4_K projections of a GGUF file (every part of a fused projection in the same one of
  // those types; others stay bf16 only) and the fp32 scratch their GEMMs write.
  void load_quantised(const std::string& gguf_path);
  Pass& pass_for(const Batch& batch);
  // Queues the whole forward pass on stream_; `out` receives the kept states / op outputs when asked.
  void enqueue(Pass& p, const ForwardOptions& options, ForwardOutput* out);

  ModelConfig config_;
  CudaOptOptions options_;
  CudaStream stream_;
  gemm::CublasHandle cublas_;
  DeviceBuffer<unsigned char> cublas_workspace_;  // set on the handle, so cuBLAS allocates nothing while captured
  cuda_opt::LinearContext linear_;
  DeviceBuffer<__nv_bfloat16> matrices_;  // every bf16 matrix
  DeviceBuffer<float> vectors_;           // every fp32 norm weight
  const __nv_bfloat16* embed_ = nullptr;  // [V, H]
  const float* final_norm_ = nullptr;     // [H]
  std::vector<Layer> layers_;
  DeviceBuffer<float> inv_freq_;          // [D/2] RoPE inverse frequencies
  std::unique_ptr<Pass> pass_;            // the last batch shape's buffers and graph
  DeviceBuffer<unsigned char> quant_storage_;  // every quantised projection (load_quantised)
  DeviceBuffer<float> quant_scratch_;     // [kQuantMaxTokens, widest projection] the quantised GEMMs' fp32 output
  int quantised_ = 0;
  std::string quant_types_;               // the types found, e.g. "Q4_K Q8_0"
};

}  // namespace qwen3
