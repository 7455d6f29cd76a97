// The kernel exercises' reference solutions as nvcc compiled them (gpu_kernels.h).
#define learner qwen3_exercise_solution
#define QWEN3_GPU_KERNELS_TABLE solution_gpu_kernels
#include "exercises/common/gpu_sim/gpu_kernels_impl.cuh"
