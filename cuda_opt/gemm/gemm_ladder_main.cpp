// gemm_ladder: runs every step of the GEMM ladder on the model's own shapes, checks it against cuBLAS and
// times it, in the manner of llm.c's dev/cuda mains (validate every version, then benchmark it).
//
//   build/cuda_opt/gemm_ladder                          # every step, every shape (a few minutes on an H100)
//   build/cuda_opt/gemm_ladder --steps 0,7,9,10 --shapes 8b --tokens 4096 --csv ladder.csv
//   build/cuda_opt/gemm_ladder --shapes 1000x3000x777 --steps 1-10
//   build/cuda_opt/gemm_ladder --steps 0,9 --step9-tilings all --shapes 8b --tokens 4096   # step 9's tile shapes
//   build/cuda_opt/gemm_ladder --ceilings     # mma.sync and ldmatrix on their own: the ceilings of step 9
//   build/cuda_opt/gemm_ladder --steps 0-7 --learner --shapes 0.6b --tokens 512   # your kernel exercises' GEMMs
//
// For each shape C[M,N] = A[M,K]·B[N,K]ᵀ (A: tokens × in features, B: a Linear weight [out, in]):
//   1. random A, B in [-1, 1) (core/rng.h) and their bf16 copies; references from cuBLAS in pedantic math mode:
//      cublasSgemm for the fp32 steps, cublasGemmEx (bf16 in, fp32 accumulate and out) for the bf16 steps
//   2. per step: C poisoned with NaN, one run, checked as gemm_check.h says: ||C - ref|| / ||ref|| <= 1e-5 and
//      every |C_i - ref_i| <= 1e-4 · rms(ref), in both precisions (only the order of the sums may differ); any NaN
//      fails, and so does an all-zero reference
//   3. warm-up, then `repeats` timed runs (CUDA events around the launch only), the L2 flushed before each by
//      writing a buffer twice its size, C poisoned before the first; median (and min) kept
//   4. the result checked again after the timed loop (a fast wrong kernel cannot pass)
//   5. TFLOP/s = 2·M·N·K / median, and the percentage of cuBLAS (step 0) in the same precision on the same shape
// --learner adds the GEMMs of the kernel exercises (exercises/11_first_kernel .. 15_vectorised_loads, the files
// the learner edits, compiled by nvcc from the same source the CPU simulator runs) as rows 11-15 after step 0's
// fp32 row, checked and timed in exactly the same way; an exercise not written yet is a SKIP row saying so.
// A row that cannot run on this device (a step or a step-9 tiling it cannot launch) is reported as SKIP, with the
// reason, and counted as "not run" in the last line: it never reads as a pass. The CSV names the commit
// (QWEN3_COMMIT, else "unknown") on every row.
// Exit status: 0 when every step that ran passed; 1 on bad input, without a GPU ("gemm_ladder: no CUDA device:
// ..." on stderr: nothing can be measured, and a script must not mistake that for a pass), or when a step failed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/config.h"
#include "core/error.h"
#include "cuda_common/device.h"
#include "cuda_opt/gemm/gemm.h"
#if defined(QWEN3_HAVE_EXERCISE_KERNELS_CUDA)
#include "exercises/common/gpu_sim/gpu_kernels.h"
#include "exercises/common/todo.h"
#endif

using namespace qwen3;
using namespace qwen3::gemm;

namespace {

struct Shape {
  std::string name;  // e.g. "8b.qkv", "cube", "1000x3000x777"
  int M = 0, N = 0, K = 0;
  double flop() const { return 2.0 * M * N * K; }
};

// The four GEMMs of a layer of `preset`, for M tokens: fused QKV, o_proj, fused gate+up, down_proj.
void add_model_shapes(std::vector<Shape>& out, const std::string& preset, int M) {
  const ModelConfig c = ModelConfig::preset(preset);
  const int H = static_cast<int>(c.hidden_size), I = static_cast<int>(c.intermediate_size);
  const int q = static_cast<int>(c.q_dim()), kv = static_cast<int>(c.kv_dim());
  out.push_back({preset + ".qkv", M, q + 2 * kv, H});  // [T,H] · [q+2kv, H]ᵀ
  out.push_back({preset + ".o_proj", M, H, q});         // [T,q] · [H, q]ᵀ
  out.push_back({preset + ".gate_up", M, 2 * I, H});    // [T,H] · [2I, H]ᵀ
  out.push_back({preset + ".down", M, H, I});           // [T,I] · [H, I]ᵀ
}

// "0-10", "0,7,9", "1-3,9"
std::vector<int> parse_steps(const std::string& spec) {
  std::set<int> steps;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    try {
      const size_t dash = item.find('-');
      const int a = std::stoi(item.substr(0, dash));
      const int b = dash == std::string::npos ? a : std::stoi(item.substr(dash + 1));
      for (int s = a; s <= b; ++s) {
        gemm_step_name(s);  // throws for a bad step
        steps.insert(s);
      }
    } catch (const std::logic_error&) {
      throw InputError("--steps: cannot read '" + item + "' (expected e.g. 0-10 or 0,7,9)");
    }
  }
  if (steps.empty()) throw InputError("--steps: no step given");
  return {steps.begin(), steps.end()};
}

// "MxNxK" -> a custom shape, or nullopt
std::optional<Shape> parse_custom(const std::string& s) {
  int M = 0, N = 0, K = 0;
  char x1 = 0, x2 = 0;
  std::istringstream in(s);
  if (in >> M >> x1 >> N >> x2 >> K && x1 == 'x' && x2 == 'x' && in.peek() == EOF) {
    if (M <= 0 || N <= 0 || K <= 0) throw InputError("--shapes: '" + s + "' needs positive sizes");
    return Shape{s, M, N, K};
  }
  return std::nullopt;
}

// --shapes items: "cube" (4096³), "8b", "0.6b" (their four layer GEMMs at each --tokens M), "MxNxK". "all" = all.
std::vector<Shape> make_shapes(const std::string& spec, const std::vector<int>& tokens) {
  std::vector<Shape> shapes;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "all" || item == "8b" || item == "0.6b") {
      for (const std::string preset : {"8b", "0.6b"}) {
        if (item != "all" && item != preset) continue;
        for (int M : tokens) add_model_shapes(shapes, preset, M);
      }
      if (item == "all") shapes.push_back({"cube", 4096, 4096, 4096});
    } else if (item == "cube") {
      shapes.push_back({"cube", 4096, 4096, 4096});
    } else if (auto custom = parse_custom(item)) {
      shapes.push_back(*custom);
    } else {
      throw InputError("--shapes: unknown shape '" + item + "' (expected all, 8b, 0.6b, cube or MxNxK)");
    }
  }
  if (shapes.empty()) throw InputError("--shapes: no shape given");
  return shapes;
}

// --step9-tilings: "all", or names / indices of gemm_09_tilings(), comma-separated
std::vector<int> parse_tilings(const std::string& spec) {
  const std::vector<Step9Tiling> known = gemm_09_tilings();
  std::vector<int> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "all") {
      for (size_t i = 0; i < known.size(); ++i) out.push_back(static_cast<int>(i));
      continue;
    }
    int found = -1;
    for (size_t i = 0; i < known.size(); ++i) {
      if (item == known[i].name || item == std::to_string(i)) found = static_cast<int>(i);
    }
    if (found < 0) {
      std::string names;
      for (const Step9Tiling& t : known) {
        if (!names.empty()) names += ", ";
        names += t.name;
      }
      throw InputError("--step9-tilings: no tiling '" + item + "' (there are: all, " + names + ")");
    }
    out.push_back(found);
  }
  return out;
}

struct Options {
  std::vector<int> steps;
  std::vector<int> tilings9;  // step 9's tilings timed as extra rows (gemm_09_tilings indices)
  std::vector<Shape> shapes;
  int warmup = 2;
  int repeats = 20;
  double budget_s = 2.0;       // timed runs of one (step, shape) stop after about this long (at least 3 runs)
  double slow_max_gflop = 250;  // steps 1-3 skip shapes above this (the naive kernels would take minutes)
  bool learner = false;         // also the kernel exercises' GEMMs (exercises/11-15), as rows 11-15
  std::string csv;
};

struct Row {
  int step = 0;
  int tiling = -1;  // step 9 only: a tiling of gemm_09_tilings() (an extra row), -1 for the step itself
  int learner = -1;  // --learner: index into learner_gpu_kernels().gemms (step = 11 + learner), -1 otherwise
  Precision precision = Precision::kF32;
  std::string shape;
  int M = 0, N = 0, K = 0;
  double median_ms = NAN, min_ms = NAN, tflops = NAN, pct_cublas = NAN;
  int repeats = 0;
  double err_before = NAN, err_after = NAN;  // rel_l2 of the check before and after the timed runs
  double elem_before = NAN, elem_after = NAN;  // max_elem of the same checks
  std::string status;  // PASS, FAIL, SKIP (with the reason)
};

const char* precision_name(Precision p) { return p == Precision::kF32 ? "fp32" : "bf16"; }

// "09_mma_sync_ldmatrix", or "09:128x128x32_w64x32_s4" for one of step 9's tilings
std::string row_name(const Row& r) {
#if defined(QWEN3_HAVE_EXERCISE_KERNELS_CUDA)
  if (r.learner >= 0) {
    return std::string("ex:") + exercises::learner_gpu_kernels().gemms[static_cast<size_t>(r.learner)].exercise;
  }
#endif
  if (r.tiling < 0) return gemm_step_name(r.step);
  std::string name = "09:";
  name += gemm_09_tilings()[static_cast<size_t>(r.tiling)].name;
  return name;
}

// Everything one shape needs on the device.
struct ShapeData {
  DeviceBuffer<float> A, B, C, ref_f32, ref_bf16;
  DeviceBuffer<bf16> A16, B16;
};

std::string fmt(double v, int precision) {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}
std::string fmt_err(double v) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

// Why a check failed, in a few words.
std::string verdict(const GemmError& e, const GemmTolerance& t) {
  if (e.ref_all_zero) return "the reference is all zeros";
  if (e.nonfinite > 0) return std::to_string(e.nonfinite) + " non-finite outputs";
  return "rel_l2 " + fmt_err(e.rel_l2) + " (bound " + fmt_err(t.rel_l2) + "), worst element " + fmt_err(e.max_elem) +
         " of rms (bound " + fmt_err(t.max_elem) + ")";
}

void print_row(const Row& r) {
  std::printf("%-28s %-5s %-16s %6d %6d %6d %10s %9s %7s  %-9s %-9s %-9s %s\n", row_name(r).c_str(),
              precision_name(r.precision), r.shape.c_str(), r.M, r.N, r.K, fmt(r.median_ms, 3).c_str(),
              fmt(r.tflops, 2).c_str(), fmt(r.pct_cublas, 1).c_str(), fmt_err(r.err_before).c_str(),
              fmt_err(r.err_after).c_str(), fmt_err(std::fmax(r.elem_before, r.elem_after)).c_str(),
              r.status.c_str());
  std::fflush(stdout);
}

class Ladder {
 public:
  Ladder(const Options& opt, const cudaDeviceProp& prop) : opt_(opt), prop_(prop) {
    // L2 flush buffer: twice the L2, so that a write of it evicts every line of A, B and C
    const size_t flush_bytes = std::max<size_t>(2 * static_cast<size_t>(prop.l2CacheSize), size_t{64} << 20);
    flush_ = DeviceBuffer<unsigned char>(flush_bytes, "the L2 flush buffer");
  }

  std::vector<Row> run_shape(const Shape& sh) {
    std::vector<Row> rows;
    const size_t a_n = static_cast<size_t>(sh.M) * sh.K, b_n = static_cast<size_t>(sh.N) * sh.K;
    const size_t c_n = static_cast<size_t>(sh.M) * sh.N;
    require_device_memory((a_n + b_n) * (sizeof(float) + sizeof(bf16)) + 3 * c_n * sizeof(float),
                          "gemm_ladder: shape " + sh.name);
    ShapeData d{DeviceBuffer<float>(a_n, "A"),        DeviceBuffer<float>(b_n, "B"),
                DeviceBuffer<float>(c_n, "C"),        DeviceBuffer<float>(c_n, "the fp32 reference"),
                DeviceBuffer<float>(c_n, "the bf16 reference"), DeviceBuffer<bf16>(a_n, "A (bf16)"),
                DeviceBuffer<bf16>(b_n, "B (bf16)")};
    cudaStream_t s = stream_.get();
    // fresh random inputs for every shape (seed = shape index), as the method asks
    fill_random(d.A.data(), a_n, 2024 + shape_index_, 0, s);
    fill_random(d.B.data(), b_n, 2024 + shape_index_, 1, s);
    ++shape_index_;
    // bf16 copies; the fp32 originals keep their full precision for the fp32 steps
    to_bf16(d.A.data(), d.A16.data(), a_n, /*round_trip=*/false, s);
    to_bf16(d.B.data(), d.B16.data(), b_n, /*round_trip=*/false, s);
    gemm_00_cublas_f32(ref_handle_.get(), d.A.data(), d.B.data(), d.ref_f32.data(), sh.M, sh.N, sh.K, s);
    gemm_00_cublas_bf16(ref_handle_.get(), d.A16.data(), d.B16.data(), d.ref_bf16.data(), sh.M, sh.N, sh.K, s);
    stream_.synchronize("gemm_ladder: cuBLAS references for " + sh.name);

    std::map<Precision, double> cublas_ms;
    for (const int step : opt_.steps) {
      for (const Precision p : {Precision::kF32, Precision::kBF16}) {
        if (!gemm_step_has_precision(step, p)) continue;
        Row r;
        r.step = step, r.precision = p, r.shape = sh.name, r.M = sh.M, r.N = sh.N, r.K = sh.K;
        if (!gemm_step_supported(step, prop_)) {
          r.status = step == 10 ? (gemm_10_built() ? "SKIP (needs compute capability 9.0; step 9 is the fallback)"
                                                   : "SKIP (not built for sm_90a; step 9 is the fallback)")
                                : "SKIP (needs compute capability 8.0 or newer)";
        } else if (step >= 1 && step <= 3 && sh.flop() > opt_.slow_max_gflop * 1e9) {
          r.status = "SKIP (" + fmt(sh.flop() / 1e9, 0) + " GFLOP > --slow-max-gflop for steps 1-3)";
        } else {
          measure(step, p, sh, d, r);
          if (step == 0 && r.status == "PASS") cublas_ms[p] = r.median_ms;
          if (cublas_ms.count(p) && !std::isnan(r.median_ms)) r.pct_cublas = 100.0 * cublas_ms[p] / r.median_ms;
        }
        print_row(r);
        rows.push_back(r);
        if (step == 9 && r.status.rfind("SKIP", 0) != 0) {
          for (const int t : opt_.tilings9) rows.push_back(run_tiling(t, sh, d, cublas_ms[p]));
        }
        if (step == 0 && p == Precision::kF32 && opt_.learner) {
          for (Row& lr : run_learner(sh, d, cublas_ms.count(p) ? cublas_ms[p] : 0.0)) rows.push_back(lr);
        }
      }
    }
    return rows;
  }

  // One of step 9's tilings on this shape, as an extra row (skipped where it needs more shared memory than the
  // device gives a block).
  Row run_tiling(int tiling, const Shape& sh, ShapeData& d, double cublas_ms) {
    Row r;
    r.step = 9, r.tiling = tiling, r.precision = Precision::kBF16, r.shape = sh.name, r.M = sh.M, r.N = sh.N;
    r.K = sh.K;
    const Step9Tiling& t = gemm_09_tilings()[static_cast<size_t>(tiling)];
    if (t.smem_bytes > prop_.sharedMemPerBlockOptin) {
      r.status = "SKIP (needs " + std::to_string(t.smem_bytes / 1024) + " KB of shared memory; the device allows " +
                 std::to_string(prop_.sharedMemPerBlockOptin / 1024) + ")";
    } else {
      measure(9, Precision::kBF16, sh, d, r);
      if (cublas_ms > 0 && !std::isnan(r.median_ms)) r.pct_cublas = 100.0 * cublas_ms / r.median_ms;
    }
    print_row(r);
    return r;
  }

  // The kernel exercises' GEMMs on this shape (--learner), each as a row numbered like its exercise.
  std::vector<Row> run_learner(const Shape& sh, ShapeData& d, double cublas_ms) {
    std::vector<Row> rows;
#if defined(QWEN3_HAVE_EXERCISE_KERNELS_CUDA)
    const auto& gemms = exercises::learner_gpu_kernels().gemms;
    for (size_t i = 0; i < gemms.size(); ++i) {
      Row r;
      r.learner = static_cast<int>(i), r.step = 11 + static_cast<int>(i), r.precision = Precision::kF32;
      r.shape = sh.name, r.M = sh.M, r.N = sh.N, r.K = sh.K;
      if (r.step <= 13 && sh.flop() > opt_.slow_max_gflop * 1e9) {
        r.status = "SKIP (" + fmt(sh.flop() / 1e9, 0) + " GFLOP > --slow-max-gflop for exercises 11-13)";
      } else {
        try {
          measure(r.step, Precision::kF32, sh, d, r);
          if (cublas_ms > 0 && !std::isnan(r.median_ms)) r.pct_cublas = 100.0 * cublas_ms / r.median_ms;
        } catch (const exercises::NotImplemented& e) {
          r.status = std::string("SKIP (") + e.what() + ")";
        } catch (const std::runtime_error& e) {  // sim::launch: a launch the device refused
          r.status = std::string("FAIL (") + e.what() + ")";
        }
      }
      print_row(r);
      rows.push_back(r);
    }
#else
    (void)sh, (void)d, (void)cublas_ms;
#endif
    return rows;
  }

 private:
  void launch(const Row& r, Precision p, const Shape& sh, ShapeData& d) {
    cudaStream_t s = stream_.get();
    const int step = r.step, tiling = r.tiling;
#if defined(QWEN3_HAVE_EXERCISE_KERNELS_CUDA)
    if (r.learner >= 0) {
      // sim::launch uses the legacy default stream, which waits for and is waited on by stream_ (a blocking
      // stream): the events recorded on stream_ around it still time just this kernel
      exercises::learner_gpu_kernels().gemms[static_cast<size_t>(r.learner)].launch(d.A.data(), d.B.data(),
                                                                                     d.C.data(), sh.M, sh.N, sh.K);
      return;
    }
#endif
    if (tiling >= 0) {
      gemm_09_mma_sync_ldmatrix_tiling(tiling, d.A16.data(), d.B16.data(), d.C.data(), sh.M, sh.N, sh.K, s);
    } else if (p == Precision::kF32) {
      gemm_f32(step, d.A.data(), d.B.data(), d.C.data(), sh.M, sh.N, sh.K, s, handle_.get());
    } else {
      gemm_bf16(step, d.A16.data(), d.B16.data(), d.C.data(), sh.M, sh.N, sh.K, s, handle_.get());
    }
  }

  // Validates, times and validates again one step on one shape.
  void measure(int step, Precision p, const Shape& sh, ShapeData& d, Row& r) {
    (void)step;  // r.step: which step (or exercise) r is
    cudaStream_t s = stream_.get();
    const std::string who = "gemm_ladder: " + row_name(r);
    const size_t c_n = static_cast<size_t>(sh.M) * sh.N;
    const float* ref = p == Precision::kF32 ? d.ref_f32.data() : d.ref_bf16.data();
    const GemmTolerance tol = p == Precision::kF32 ? kTolF32 : kTolBF16;
    CudaTimer timer;
    // 1. poisoned output, one run, check
    poison(d.C.data(), c_n, s);
    launch(r, p, sh, d);
    QWEN3_CUDA_CHECK(cudaStreamSynchronize(s), who);
    const GemmError e1 = compare(d.C.data(), ref, c_n, s);
    r.err_before = e1.rel_l2, r.elem_before = e1.max_elem;
    if (!e1.passes(tol)) {
      r.status = "FAIL (before timing: " + verdict(e1, tol) + ")";
      return;
    }
    // 2. warm-up (module loading and cuBLAS's heuristics happen here), the last run timed to size the repeats
    for (int i = 0; i < opt_.warmup; ++i) launch(r, p, sh, d);
    timer.start(s);
    launch(r, p, sh, d);
    timer.stop(s);
    const float first_ms = timer.elapsed_ms(who);
    // 3. timed runs, L2 flushed before each, C poisoned before the first
    const int repeats = std::clamp(static_cast<int>(opt_.budget_s * 1e3 / std::max(first_ms, 1e-3f)), 3,
                                   std::max(opt_.repeats, 3));
    std::vector<float> ms(repeats);
    poison(d.C.data(), c_n, s);
    for (int i = 0; i < repeats; ++i) {
      QWEN3_CUDA_CHECK(cudaMemsetAsync(flush_.data(), i & 0xFF, flush_.bytes(), s), "gemm_ladder: flushing L2");
      timer.start(s);
      launch(r, p, sh, d);
      timer.stop(s);
      ms[i] = timer.elapsed_ms(who);
    }
    std::sort(ms.begin(), ms.end());
    r.repeats = repeats;
    r.min_ms = ms.front();
    r.median_ms = repeats % 2 ? ms[repeats / 2] : 0.5 * (ms[repeats / 2 - 1] + ms[repeats / 2]);
    r.tflops = sh.flop() / (r.median_ms * 1e-3) / 1e12;
    // 4. the last timed run's output checked again
    const GemmError e2 = compare(d.C.data(), ref, c_n, s);
    r.err_after = e2.rel_l2, r.elem_after = e2.max_elem;
    r.status = e2.passes(tol) ? "PASS" : "FAIL (after timing: " + verdict(e2, tol) + ")";
  }

  const Options& opt_;
  const cudaDeviceProp& prop_;
  CudaStream stream_;
  CublasHandle handle_{false};     // step 0, the timed cuBLAS: default math (no TF32 for Sgemm)
  CublasHandle ref_handle_{true};  // the references: pedantic math
  DeviceBuffer<unsigned char> flush_;
  int shape_index_ = 0;
};

void write_csv(const std::string& path, const std::vector<Row>& rows, const cudaDeviceProp& prop) {
  std::ofstream f(path);
  if (!f) throw IoError("gemm_ladder: cannot write " + path);
  const char* commit = std::getenv("QWEN3_COMMIT");
  f << "commit,device,step,name,precision,shape,M,N,K,median_ms,min_ms,repeats,tflops,pct_cublas,rel_err_before,"
       "rel_err_after,max_elem_before,max_elem_after,status\n";
  for (const Row& r : rows) {
    f << (commit && *commit ? commit : "unknown") << ",\"" << prop.name << "\"," << r.step << ',' << row_name(r) << ',' << precision_name(r.precision)
      << ',' << r.shape << ',' << r.M << ',' << r.N << ',' << r.K << ',' << fmt(r.median_ms, 4) << ','
      << fmt(r.min_ms, 4) << ',' << r.repeats << ',' << fmt(r.tflops, 3) << ',' << fmt(r.pct_cublas, 1) << ','
      << fmt_err(r.err_before) << ',' << fmt_err(r.err_after) << ',' << fmt_err(r.elem_before) << ','
      << fmt_err(r.elem_after) << ",\"" << r.status << "\"\n";
  }
  if (!f) throw IoError("gemm_ladder: error writing " + path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "gemm_ladder: validate every step of the GEMM ladder (cuda_opt/gemm/) against cuBLAS and time it.\n"
      "C[M,N] = A[M,K] · B[N,K]ᵀ; steps 1-7 fp32 (checked against cublasSgemm), 8-10 bf16 inputs with fp32\n"
      "accumulation and output (against cublasGemmEx on the same bf16 inputs); step 0 is cuBLAS in both. A step\n"
      "passes when ||C - ref|| / ||ref|| <= 1e-5 and every |C_i - ref_i| <= 1e-4 · rms(ref) (gemm_check.h).\n"
      "Each run: output poisoned with NaN, checked, warmed up, timed (CUDA events, L2 flushed before each\n"
      "repeat, median), checked again. Prints TFLOP/s and % of cuBLAS in the same precision.\n"
      "Shapes: 'all' = the fused QKV, o_proj, fused gate+up and down_proj GEMMs of the 8B and 0.6B models at each\n"
      "--tokens M, and 4096³ ('cube'); or any of 8b, 0.6b, cube, MxNxK, comma-separated."};
  std::string steps_spec = "0-10", shapes_spec = "all", tokens_spec = "512,4096,16384";
  Options opt;
  app.add_option("--steps", steps_spec, "steps to run, e.g. 0-10, 0,7,9 (step 0 = cuBLAS, the baseline)")
      ->capture_default_str();
  app.add_option("--shapes", shapes_spec, "all, 8b, 0.6b, cube, or MxNxK, comma-separated")->capture_default_str();
  app.add_option("--tokens", tokens_spec, "M values for the model shapes, comma-separated")->capture_default_str();
  app.add_option("--repeats", opt.repeats, "most timed runs per step and shape (median taken; at least 3)")
      ->capture_default_str();
  app.add_option("--warmup", opt.warmup, "untimed runs before timing")->capture_default_str();
  app.add_option("--budget", opt.budget_s, "seconds of timed runs per step and shape before stopping early")
      ->capture_default_str();
  app.add_option("--slow-max-gflop", opt.slow_max_gflop,
                 "steps 1-3 (naive, coalesced, smem tiling) skip shapes above this many GFLOP")
      ->capture_default_str();
  app.add_option("--csv", opt.csv, "also write every row to this CSV file");
  app.add_flag("--learner", opt.learner,
               "also check and time the GEMMs of the kernel exercises (exercises/11-15, the files you edit), as rows "
               "11-15 after cuBLAS fp32 (built only with the exercises; SKIP rows for exercises not written yet)");
  std::string tilings_spec;
  bool ceilings = false;
  app.add_flag("--ceilings", ceilings,
               "instead of the ladder, measure the ceilings step 9 runs under: mma.sync.m16n8k16 with register operands (TFLOP/s, "
               "mma per SM clock) and ldmatrix.x4 (bytes per SM clock), then cuBLAS bf16 at 4096³ for scale");
  app.add_option("--step9-tilings", tilings_spec,
                 "also time step 9 with these tilings (block tile, warp tile, stages), each as a row after step 9's: "
                 "all, or names or indices, comma-separated (e.g. 128x128x32_w64x32_s4)");
  CLI11_PARSE(app, argc, argv);

  try {
    opt.steps = parse_steps(steps_spec);
#if !defined(QWEN3_HAVE_EXERCISE_KERNELS_CUDA)
    if (opt.learner) throw InputError("--learner: this gemm_ladder was built without the kernel exercises");
#endif
    opt.tilings9 = parse_tilings(tilings_spec);
    if (!opt.tilings9.empty() && std::find(opt.steps.begin(), opt.steps.end(), 9) == opt.steps.end())
      throw InputError("--step9-tilings: step 9 is not among --steps");
    if (opt.steps.front() != 0) opt.steps.insert(opt.steps.begin(), 0);  // the baseline, for % of cuBLAS
    std::vector<int> tokens;
    {
      std::stringstream ss(tokens_spec);
      std::string item;
      while (std::getline(ss, item, ',')) {
        if (item.empty()) continue;
        int m = 0;
        try {
          m = std::stoi(item);
        } catch (const std::logic_error&) {
          throw InputError("--tokens: cannot read '" + item + "'");
        }
        if (m <= 0) throw InputError("--tokens: '" + item + "' must be positive");
        tokens.push_back(m);
      }
    }
    opt.shapes = make_shapes(shapes_spec, tokens);

    std::string why;
    if (!cuda_device_available(&why)) throw CudaError(why);  // before any work: nothing can be measured
    cudaDeviceProp prop{};
    QWEN3_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0), "gemm_ladder: reading the device");
    std::printf("device: %s (compute capability %d.%d, %d SMs, L2 %.0f MB); step 10 %s\n", prop.name, prop.major,
                prop.minor, prop.multiProcessorCount, prop.l2CacheSize / 1e6,
                gemm_step_supported(10, prop) ? "runs" : "falls back to step 9 (its row is skipped)");
    if (ceilings) {
      CudaStream stream;
      const InstructionCeilings c = measure_instruction_ceilings(stream.get());
      std::printf("mma.sync.m16n8k16 bf16->fp32, register operands: %.1f TFLOP/s, %.3f mma per SM clock\n",
                  c.mma_tflops, c.mma_per_clock_per_sm);
      std::printf("ldmatrix.x4, conflict-free: %.1f bytes per SM clock\n", c.ldmatrix_bytes_per_clock_per_sm);
      opt.steps = {0};
      opt.shapes = {Shape{"cube", 4096, 4096, 4096}};
    }
    std::printf("%-28s %-5s %-16s %6s %6s %6s %10s %9s %7s  %-9s %-9s %-9s %s\n", "step", "prec", "shape", "M", "N",
                "K", "median_ms", "TFLOP/s", "%cuBLAS", "err", "err_after", "max_elem", "status");

    Ladder ladder(opt, prop);
    std::vector<Row> rows;
    for (const Shape& sh : opt.shapes) {
      const std::vector<Row> r = ladder.run_shape(sh);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    int failed = 0, not_run = 0;
    for (const Row& r : rows) {
      failed += r.status.rfind("FAIL", 0) == 0;
      not_run += r.status.rfind("SKIP", 0) == 0;
    }
    if (!opt.csv.empty()) {
      write_csv(opt.csv, rows, prop);
      std::printf("wrote %s\n", opt.csv.c_str());
    }
    std::printf("%zu rows, %d failed, %d not run\n", rows.size(), failed, not_run);
    return failed == 0 ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "gemm_ladder: %s\n", e.what());
    return 1;
  }
}
