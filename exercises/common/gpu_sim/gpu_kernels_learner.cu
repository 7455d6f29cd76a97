// The learner's kernel exercises as nvcc compiled them (gpu_kernels.h).
#define QWEN3_GPU_KERNELS_TABLE learner_gpu_kernels
#include "exercises/common/gpu_sim/gpu_kernels_impl.cuh"
