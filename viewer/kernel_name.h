// Short names for GPU kernels. CUPTI and PyTorch's profiler name a kernel by its whole demangled signature,
//   void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::AddF32>(CUtensorMap_st, CUtensorMap_st, int, ...)
// which a timeline box or a statistics row cuts to "void qwen3::gemm::step10::wgmma_t...": the three GEMMs of a
// layer then look alike. The viewer shows the function and its template arguments instead, as Nsight Systems
// does: "wgmma_tma_kernel<AddF32>". Tooltips and the details panel keep the whole signature, and the statistics
// filter searches both.
#pragma once
#include <string>
#include <string_view>

namespace qwen3::viewer {

// The short form of a C++ function signature ("[return type ]ns::name<args>(params)"): without the return type,
// the parameter list, "(anonymous namespace)" and every namespace or class qualifier (also inside the template
// arguments). Any other name ("forward (CUDA graph replay)", "aten::linear", "layer 3 / attention / q_proj",
// "ampere_bf16_s16816gemm_...") is returned unchanged.
std::string short_kernel_name(std::string_view name);

}  // namespace qwen3::viewer
