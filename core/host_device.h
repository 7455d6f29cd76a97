// QWEN3_HOST_DEVICE: marks a function that both the CPU and a CUDA kernel call (index math, the random numbers),
// so nvcc compiles it for both sides; a plain C++ compiler sees an ordinary inline function.
#pragma once

#if defined(__CUDACC__)
#define QWEN3_HOST_DEVICE __host__ __device__
#else
#define QWEN3_HOST_DEVICE
#endif
