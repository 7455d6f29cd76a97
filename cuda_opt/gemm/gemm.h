// The GEMM ladder: one problem, eleven ways to compute it, each step adding one idea to the one before.
//
//   C[M,N] = A[M,K] · B[N,K]ᵀ        i.e.  C[m][n] = Σ_k A[m][k] · B[n][k]
//
// Dimension letters: M = rows of A and C (the tokens of a batch), N = rows of B and columns of C (a layer's
// output features), K = the reduced dimension (the layer's input features). Everything is row-major:
//   A: [M, K]   the activations x, one token per row
//   B: [N, K]   a weight laid out like torch.nn.Linear's weight [out, in]
//   C: [M, N]   y = x Wᵀ
// Both inputs are K-contiguous ("TN" in BLAS speak): A's and B's rows are read along k.
//
// Precision by step (gemm_step_precision):
//   steps 1-7   fp32 inputs, fp32 accumulation, fp32 output                    (gemm_f32)
//   steps 8-10  bf16 inputs, fp32 accumulation, fp32 output (not bf16)         (gemm_bf16)
//   step 0      cuBLAS, in both precisions: cublasSgemm (never TF32) and cublasGemmEx bf16 -> fp32
//
// Every step takes any M, N, K >= 0 (edges are guarded; vector paths check K, N and pointer alignment at run
// time and fall back to a scalar path). Launches are asynchronous on `stream`; errors are thrown as CudaError
// (cuda_common/cuda_check.h) or InputError (bad step number or shape).
//
// The runner (gemm_ladder_main.cu) and the tests (tests/test_cuda_gemm_ladder.cpp) go through gemm_f32 /
// gemm_bf16, the dispatchers by step number, in the manner of llm.c's dev/cuda files.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "cuda_opt/gemm/gemm_check.h"

namespace qwen3::gemm {

using bf16 = __nv_bfloat16;

constexpr int kNumSteps = 11;  // steps 0 .. 10

enum class Precision { kF32, kBF16 };

// "00_cublas", "01_naive", ... "10_wgmma_tma" (the file name without its extension). InputError if out of range.
const char* gemm_step_name(int step);
// The precision a step computes in. Step 0 (cuBLAS) computes in both: this returns kF32 for it.
Precision gemm_step_precision(int step);
// True when `step` computes in precision `p` (step 0: both).
bool gemm_step_has_precision(int step, Precision p);
// True when `step` can run on this device: steps 0-9 on any GPU of compute capability >= 8.0 (bf16 mma, cp.async;
// steps 0-7 need less but the project targets sm_80+); step 10 only on compute capability 9.0 exactly AND when
// this build compiled it for sm_90a (gemm_10_built()).
bool gemm_step_supported(int step, const cudaDeviceProp& prop);
// The step that runs in place of `step` on this device: `step` itself when supported, else step 9 for step 10.
int gemm_step_fallback(int step, const cudaDeviceProp& prop);
// Whether the build holds step 10's sm_90a code (CMAKE_CUDA_ARCHITECTURES included 90).
bool gemm_10_built();

// Owns a cuBLAS handle. Math mode CUBLAS_DEFAULT_MATH (cublasSgemm does not use TF32 in it unless the
// NVIDIA_TF32_OVERRIDE environment variable asks for it; `pedantic` = true selects CUBLAS_PEDANTIC_MATH, which
// also forbids reduced-precision reductions: the runner's reference uses it).
class CublasHandle {
 public:
  explicit CublasHandle(bool pedantic = false);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return h_; }

 private:
  cublasHandle_t h_ = nullptr;
};

// ---- the dispatchers ---------------------------------------------------------------------------------------
// A: [M, K], B: [N, K], C: [M, N] (device pointers). `cublas` is used by step 0 only (may be null otherwise).
// Step 0 sets the handle's stream to `stream`.
void gemm_f32(int step, const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t stream,
              cublasHandle_t cublas);
void gemm_bf16(int step, const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t stream,
               cublasHandle_t cublas);

// ---- the steps, one file each (cuda_opt/gemm/NN_name.cu) -------------------------------------------------
void gemm_00_cublas_f32(cublasHandle_t h, const float* A, const float* B, float* C, int M, int N, int K,
                        cudaStream_t s);
void gemm_00_cublas_bf16(cublasHandle_t h, const bf16* A, const bf16* B, float* C, int M, int N, int K,
                         cudaStream_t s);
void gemm_01_naive(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_02_coalesced(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_03_smem_tiling(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_04_blocktile_1d(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_05_blocktile_2d(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_06_vectorized(const float* A, const float* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_07_cp_async_double_buffer(const float* A, const float* B, float* C, int M, int N, int K,
                                    cudaStream_t s);
void gemm_08_wmma_bf16(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s);
void gemm_09_mma_sync_ldmatrix(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s);
// Step 9's tilings (09_layout.h: step09::Tilings), for timing them side by side (gemm_ladder --step9-tilings).
// Index 0 is the one gemm_09_mma_sync_ldmatrix uses; InputError for an index out of range.
struct Step9Tiling {
  std::string name;    // "128x256x32_w64x64_s4": block tile BM×BN×BK, warp tile, stages
  size_t smem_bytes;   // dynamic shared memory per block (a device allows cudaDeviceProp::sharedMemPerBlockOptin)
};
std::vector<Step9Tiling> gemm_09_tilings();
void gemm_09_mma_sync_ldmatrix_tiling(int tiling, const bf16* A, const bf16* B, float* C, int M, int N, int K,
                                      cudaStream_t s);
// Throws CudaError when not built for sm_90a or when the device is not compute capability 9.0.
void gemm_10_wgmma_tma(const bf16* A, const bf16* B, float* C, int M, int N, int K, cudaStream_t s);

// ---- the ceilings step 9 runs under (instruction_ceilings.cu; gemm_ladder --ceilings) -------------------------
struct InstructionCeilings {
  double mma_tflops = 0;            // mma.sync.m16n8k16 bf16 -> fp32, operands in registers, every SM busy
  double mma_per_clock_per_sm = 0;  // the same in mma per SM clock (one mma = 16·8·16 multiply-adds)
  double ldmatrix_bytes_per_clock_per_sm = 0;  // ldmatrix.x4, conflict-free, bytes per SM clock
};
// Runs the two microbenchmarks on the current device (a few milliseconds); synchronises `s`.
InstructionCeilings measure_instruction_ceilings(cudaStream_t s);

// ---- helpers shared by the runner and the tests (gemm_util.cu) --------------------------------------------
// Fills x[0 .. n) with uniform values in [-1, 1) from core/rng.h (seed, stream) on the device.
void fill_random(float* x, size_t n, uint64_t seed, uint64_t stream, cudaStream_t s);
// y[i] = bf16(x[i]) (round to nearest even), and x[i] = float(y[i]) when `round_trip`, so that an fp32 copy
// holds exactly the bf16 values.
void to_bf16(float* x, bf16* y, size_t n, bool round_trip, cudaStream_t s);
// Every byte 0xFF: each float becomes a NaN, so an element a kernel forgot to write fails the comparison.
void poison(float* c, size_t n, cudaStream_t s);

// The ladder's check (gemm_check.h) on the device: ||c − ref|| / ||ref||, the worst element on ref's scale, the
// non-finite elements of c, computed in double without copying C back (the model's largest C is 1.5 GiB).
// Synchronises `s`.
GemmError compare(const float* c, const float* ref, size_t n, cudaStream_t s);

}  // namespace qwen3::gemm
