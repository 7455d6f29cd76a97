// gemm_quant_bench: the weight-only quantised GEMMs (quant_gemm.h) against cuBLAS's bf16 GEMM on a model's
// projection shapes at few tokens, where an embedding pass of a short text is bound by reading the weights.
//
//   build/quant_gemm/gemm_quant_bench                                   # 8B shapes, 1 .. 64 tokens
//   build/quant_gemm/gemm_quant_bench --config 0.6b --tokens 1,8,128 --csv quant.csv
//
// For each shape (W: [N, K], a Linear weight [out, in]) and token count M:
//   1. random weights (core/rng.h), quantised on the host by core/quant.cpp to Q8_0 and Q4_K (GGUF's bytes), and
//      dequantised back: the fp32 reference weights of each format; random activations X, rounded to bf16
//   2. each kernel checked against cublasSgemm (pedantic) over its dequantised weights and the widened X, with the
//      GEMM ladder's check (gemm_check.h: ||Y − ref|| / ||ref|| <= 1e-5 and every element near): only the order of
//      the sums may differ; cuBLAS's bf16 GEMM is the baseline, over W rounded to bf16
//   3. warm-up, then `repeats` timed runs, the L2 flushed before each (the weights come from memory, as in a real
//      pass over many layers); the median kept
//   4. per row: microseconds, the weight bytes read per second (the figure that should sit near the memory
//      bandwidth), the speed-up over cuBLAS bf16, and the speed-up predicted from bytes alone (2 / bytes per weight:
//      1.78x for W8A16, 3.56x for Q4_K) — a kernel at the bandwidth bound reaches the prediction
// Exit status: 0 when every check passed; 1 on bad input, without a GPU, or when a check failed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <cublas_v2.h>

#include "core/config.h"
#include "core/error.h"
#include "core/quant.h"
#include "core/rng.h"
#include "cuda_common/cuda_check.h"
#include "cuda_common/device.h"
#include "cuda_opt/gemm/gemm.h"
#include "quant_gemm/quant_gemm_cuda.h"
#include "quant_gemm/repack.h"

using namespace qwen3;

namespace {

struct Shape {
  std::string name;  // "8b.gate_up"
  int N = 0, K = 0;
};

// The projections of one layer (q, k, v fused as the cuda_opt backend runs them; gate and up fused).
std::vector<Shape> layer_shapes(const std::string& preset) {
  const ModelConfig c = ModelConfig::preset(preset);
  const int H = int(c.hidden_size), I = int(c.intermediate_size), Q = int(c.q_dim()), KV = int(c.kv_dim());
  return {{preset + ".qkv", Q + 2 * KV, H}, {preset + ".o", H, Q}, {preset + ".gate_up", 2 * I, H},
          {preset + ".down", H, I}};
}

struct Options {
  std::string config = "8b";
  std::vector<int> tokens = {1, 2, 4, 8, 16, 32, 64};
  int repeats = 20;
  std::string csv;
};

struct Row {
  std::string shape, kernel;
  int M = 0, N = 0, K = 0;
  double us = 0, weight_bytes = 0, speedup = 0, predicted = 0, rel_err = 0;
  bool ok = true;
};

int run(const Options& opt) {
  std::string why;
  if (!cuda_device_available(&why)) {
    std::fprintf(stderr, "gemm_quant_bench: no CUDA device: %s\n", why.c_str());
    return 1;
  }
  cudaDeviceProp prop{};
  QWEN3_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0), "reading the device's properties");
  std::printf("gemm_quant_bench on %s: %d token counts, %d timed runs each (median)\n", prop.name,
              int(opt.tokens.size()), opt.repeats);
  gemm::CublasHandle cublas, pedantic(true);
  const int max_m = *std::max_element(opt.tokens.begin(), opt.tokens.end());
  DeviceBuffer<unsigned char> flush(std::max<size_t>(2 * size_t(prop.l2CacheSize), size_t{64} << 20), "the L2 flush");
  CudaTimer timer;
  std::vector<Row> rows;
  bool all_ok = true;
  std::printf("%-14s %-10s %5s %7s %7s %10s %9s %8s %9s %10s\n", "shape", "kernel", "M", "N", "K", "us", "weight GB/s",
              "vs bf16", "predicted", "rel err");

  for (const Shape& sh : layer_shapes(opt.config)) {
    const int N = sh.N, K = sh.K;
    // 1. weights, their two quantised forms and what each dequantises to; activations
    std::vector<float> w(size_t(N) * K);
#pragma omp parallel for
    for (int64_t i = 0; i < int64_t(w.size()); ++i) w[size_t(i)] = 0.05f * random_symmetric(7, 1, uint64_t(i));
    const std::vector<uint8_t> q8 = quantize_rows(GgmlType::Q8_0, w.data(), N, K);
    const std::vector<uint8_t> q4 = quantize_rows(GgmlType::Q4_K, w.data(), N, K);
    std::vector<float> w8(w.size()), w4(w.size());
#pragma omp parallel for
    for (int n = 0; n < N; ++n) {
      dequantize_row(GgmlType::Q8_0, q8.data() + n * row_bytes(GgmlType::Q8_0, K), w8.data() + size_t(n) * K, K);
      dequantize_row(GgmlType::Q4_K, q4.data() + n * row_bytes(GgmlType::Q4_K, K), w4.data() + size_t(n) * K, K);
    }
    const quant_gemm::SplitQ8_0 split = quant_gemm::split_q8_0(q8.data(), N, K);
    auto d_w = DeviceBuffer<float>::from_host(w, "W");
    DeviceBuffer<gemm::bf16> d_wbf(w.size(), "W as bf16");
    gemm::to_bf16(d_w.data(), d_wbf.data(), w.size(), false, nullptr);
    auto d_w8 = DeviceBuffer<float>::from_host(w8, "W8 dequantised");
    auto d_w4 = DeviceBuffer<float>::from_host(w4, "W4 dequantised");
    auto d_codes = DeviceBuffer<int8_t>::from_host(split.codes, "Q8_0 codes");
    auto d_scales = DeviceBuffer<float>::from_host(split.scales, "Q8_0 scales");
    auto d_q4 = DeviceBuffer<uint8_t>::from_host(q4, "Q4_K blocks");
    DeviceBuffer<float> d_x(size_t(max_m) * K, "X");
    DeviceBuffer<gemm::bf16> d_xbf(size_t(max_m) * K, "X as bf16");
    gemm::fill_random(d_x.data(), d_x.size(), 8, 2, nullptr);
    gemm::to_bf16(d_x.data(), d_xbf.data(), d_x.size(), true, nullptr);  // d_x now holds exactly the bf16 values
    DeviceBuffer<float> d_y(size_t(max_m) * N, "Y"), d_ref(size_t(max_m) * N, "Y reference");
    const auto* xbits = reinterpret_cast<const uint16_t*>(d_xbf.data());

    for (int M : opt.tokens) {
      const double bf16_bytes = 2.0 * N * K;
      struct Kernel {
        const char* name;
        double bytes;
        const float* reference_weights;
        std::function<void()> launch;
      };
      const std::vector<Kernel> kernels = {
          {"cublas_bf16", bf16_bytes, nullptr,
           [&] { gemm::gemm_bf16(0, d_xbf.data(), d_wbf.data(), d_y.data(), M, N, K, nullptr, cublas.get()); }},
          {"w8a16", double(N) * K + 4.0 * N * (K / 32), d_w8.data(),
           [&] { quant_gemm::gemm_w8a16(xbits, d_codes.data(), d_scales.data(), d_y.data(), M, N, K); }},
          {"w4a16_q4k", double(q4.size()), d_w4.data(),
           [&] { quant_gemm::gemm_w4a16_q4k(xbits, d_q4.data(), d_y.data(), M, N, K); }},
      };
      double bf16_us = 0;
      for (const Kernel& k : kernels) {
        Row r{sh.name, k.name, M, N, K};
        r.weight_bytes = k.bytes;
        // 2. the check (the bf16 baseline is cuBLAS itself: not checked here, the ladder checks it)
        if (k.reference_weights != nullptr) {
          gemm::gemm_f32(0, d_x.data(), k.reference_weights, d_ref.data(), M, N, K, nullptr, pedantic.get());
          gemm::poison(d_y.data(), size_t(M) * N, nullptr);
          k.launch();
          const gemm::GemmError e = gemm::compare(d_y.data(), d_ref.data(), size_t(M) * N, nullptr);
          r.rel_err = e.rel_l2;
          r.ok = e.passes(gemm::kTolF32);
          all_ok = all_ok && r.ok;
        }
        // 3. timing
        std::vector<float> ms;
        for (int i = -2; i < opt.repeats; ++i) {
          QWEN3_CUDA_CHECK(cudaMemsetAsync(flush.data(), i & 0xFF, flush.bytes(), nullptr), "flushing L2");
          timer.start(nullptr);
          k.launch();
          timer.stop(nullptr);
          const float t = timer.elapsed_ms(k.name);
          if (i >= 0) ms.push_back(t);
        }
        std::sort(ms.begin(), ms.end());
        r.us = 1000.0 * ms[ms.size() / 2];
        if (k.reference_weights == nullptr) bf16_us = r.us;
        r.speedup = bf16_us / r.us;
        r.predicted = bf16_bytes / r.weight_bytes;
        std::printf("%-14s %-10s %5d %7d %7d %10.1f %11.0f %7.2fx %8.2fx %10s%s\n", r.shape.c_str(), r.kernel.c_str(), M,
                    N, K, r.us, r.weight_bytes / (r.us * 1e3), r.speedup, r.predicted,
                    k.reference_weights ? std::to_string(r.rel_err).c_str() : "-", r.ok ? "" : "  FAIL");
        rows.push_back(r);
      }
    }
  }
  if (!opt.csv.empty()) {
    std::ofstream f(opt.csv);
    if (!f) throw IoError("cannot write " + opt.csv);
    const char* commit = std::getenv("QWEN3_COMMIT");
    f << "device,commit,shape,kernel,M,N,K,us,weight_bytes,weight_gb_per_s,speedup_vs_cublas_bf16,predicted,rel_err,ok\n";
    for (const Row& r : rows) {
      f << prop.name << ',' << (commit ? commit : "unknown") << ',' << r.shape << ',' << r.kernel << ',' << r.M << ','
        << r.N << ',' << r.K << ',' << r.us << ',' << r.weight_bytes << ',' << r.weight_bytes / (r.us * 1e3) << ','
        << r.speedup << ',' << r.predicted << ',' << r.rel_err << ',' << (r.ok ? 1 : 0) << '\n';
    }
  }
  std::printf("%s\n", all_ok ? "all checks passed" : "SOME CHECKS FAILED");
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The quantised GEMMs (W8A16, W4A16 on Q4_K) against cuBLAS bf16 at few tokens"};
  Options opt;
  app.add_option("--config", opt.config, "Model shapes: 0.6b, 4b, 8b")->capture_default_str();
  app.add_option("--tokens", opt.tokens, "Token counts M (comma-separated)")->delimiter(',')->check(CLI::Range(1, 65536));
  app.add_option("--repeats", opt.repeats, "Timed runs per row")->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--csv", opt.csv, "Also write the rows here");
  try {
    app.parse(argc, argv);
    return run(opt);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_quant_bench: %s\n", e.what());
    return 1;
  }
}
