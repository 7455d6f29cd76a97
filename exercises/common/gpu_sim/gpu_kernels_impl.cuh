// Included by gpu_kernels_learner.cu and gpu_kernels_solution.cu: the table of one kind of launchers. The solution
// translation unit defines `learner` as another namespace before including this, so that the exercise headers
// declare the solution's functions (compiled from the generated wrappers in the build folder).
#include "exercises/11_first_kernel/first_kernel.h"
#include "exercises/12_coalescing/coalescing.h"
#include "exercises/13_shared_tiling/shared_tiling.h"
#include "exercises/14_register_blocking/register_blocking.h"
#include "exercises/15_vectorised_loads/vectorised_loads.h"
#include "exercises/16_fused_rmsnorm_kernel/rmsnorm_kernel.h"
#include "exercises/common/gpu_sim/gpu_kernels.h"

namespace qwen3::exercises {

const GpuKernels& QWEN3_GPU_KERNELS_TABLE() {
  static const GpuKernels table{{{"11_first_kernel", &learner::gemm_naive},
                                 {"12_coalescing", &learner::gemm_coalesced},
                                 {"13_shared_tiling", &learner::gemm_shared_tiling},
                                 {"14_register_blocking", &learner::gemm_register_blocking},
                                 {"15_vectorised_loads", &learner::gemm_vectorised}},
                                &learner::rms_norm_gpu};
  return table;
}

}  // namespace qwen3::exercises
