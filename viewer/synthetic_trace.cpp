#include "viewer/synthetic_trace.h"

#include <cinttypes>
#include <cstdio>
#include <functional>
#include <string>

#include "viewer/trace_builder.h"

namespace qwen3::viewer {

namespace {

struct Op {
  const char* block;
  const char* name;
  const char* kernel;
  const char* cat;
  double mean_us;  // GPU time
};
constexpr Op kOps[] = {
    {"attention", "input_norm", "rms_norm_kernel", "norm", 6},
    {"attention", "q_proj", "gemm_bf16_128x128", "gemm", 60},
    {"attention", "k_proj", "gemm_bf16_128x64", "gemm", 22},
    {"attention", "v_proj", "gemm_bf16_128x64", "gemm", 22},
    {"attention", "q_norm", "rms_norm_kernel", "norm", 4},
    {"attention", "k_norm", "rms_norm_kernel", "norm", 3},
    {"attention", "rope", "apply_rope_kernel", "elementwise", 5},
    {"attention", "sdpa", "flash_attention_fwd", "attention", 90},
    {"attention", "o_proj", "gemm_bf16_128x128", "gemm", 55},
    {"mlp", "post_norm", "rms_norm_kernel", "norm", 6},
    {"mlp", "gate_up_proj", "gemm_bf16_256x128", "gemm", 170},
    {"mlp", "silu_mul", "silu_mul_kernel", "elementwise", 12},
    {"mlp", "down_proj", "gemm_bf16_128x128", "gemm", 85},
    {"mlp", "residual", "add_residual_kernel", "elementwise", 5},
};
constexpr int kLayers = 28;

struct Rng {  // splitmix64: small, fast, the same everywhere
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

struct Ev {
  char ph;
  int pid, tid;
  std::string name;
  const char* cat;
  Ns ts, dur;
  uint64_t id;  // flows and kernels: the correlation id
};

// Calls `emit` for every event of the trace, in time order per thread.
void generate(uint64_t slices, uint64_t seed, const std::function<void(const Ev&)>& emit) {
  Rng rng{seed};
  Ns host = 1'000'000, gpu = host;  // ns
  uint64_t emitted = 0, corr = 1;
  while (emitted < slices) {
    const Ns fwd_start = host;
    for (int l = 0; l < kLayers && emitted < slices; ++l) {
      const Ns layer_start = host;
      const std::string layer = "layer " + std::to_string(l);
      for (const Op& op : kOps) {
        if (emitted + 3 > slices) break;
        const Ns op_start = host;
        host += 1500 + static_cast<Ns>(rng.uniform() * 1000);  // Python/C++ overhead before the launch
        const Ns launch = host, launch_dur = 3000 + static_cast<Ns>(rng.uniform() * 2000);
        host += launch_dur + 500;
        const Ns k_start = std::max(gpu + 1500, launch + 4000);
        const Ns k_dur = static_cast<Ns>(op.mean_us * 1000 * (0.8 + 0.4 * rng.uniform()));
        gpu = k_start + k_dur;
        emit({'X', 1, 1, layer + " / " + op.block + " / " + op.name, "nvtx", op_start, host - op_start, 0});
        emit({'X', 1, 1, "cudaLaunchKernel", "runtime", launch, launch_dur, corr});
        emit({'X', 2, 7, op.kernel, op.cat, k_start, k_dur, corr});
        emit({'s', 1, 1, "launch", "flow", launch, 0, corr});
        emit({'f', 2, 7, "launch", "flow", k_start, 0, corr});
        ++corr;
        emitted += 3;
      }
      emit({'X', 1, 1, layer, "nvtx", layer_start, host - layer_start, 0});
      ++emitted;
    }
    emit({'X', 1, 1, "forward", "nvtx", fwd_start, host - fwd_start, 0});
    ++emitted;
    host = std::max(host, gpu) + 200'000;  // synchronise, then a gap before the next pass
    gpu = host;
  }
}

}  // namespace

Trace make_synthetic_trace(uint64_t slices, uint64_t seed) {
  TraceBuilder b("synthetic (" + std::to_string(slices) + " slices)", true);
  const uint32_t host = b.track("1", "1"), stream = b.track("2", "7");
  b.process_name(b.process("1"), "qwen3emb (host)");
  b.thread_name(host, "main thread");
  b.process_name(b.process("2"), "GPU 0: synthetic");
  b.thread_name(stream, "stream 7");
  ArgList args(3);
  generate(slices, seed, [&](const Ev& e) {
    const uint32_t track = e.pid == 1 ? host : stream;
    b.count_event();
    if (e.ph == 'X') {
      size_t n = 0;
      if (e.pid == 2) {
        args[0] = {"grid", "[128, 1, 1]"};
        args[1] = {"block", "[256, 1, 1]"};
        args[2] = {"correlation", std::to_string(e.id)};
        n = 3;
      } else if (e.id) {
        args[0] = {"correlation", std::to_string(e.id)};
        n = 1;
      }
      b.complete(track, e.ts, e.dur, e.name, e.cat, args, n, [] { return std::string("synthetic event"); });
    } else {
      b.flow(e.ph, track, e.ts, std::to_string(e.id), true, e.name);
    }
  });
  return b.finish();
}

std::string synthetic_trace_json(uint64_t slices, uint64_t seed) {
  std::string out = "{\"traceEvents\":[\n";
  out += R"J({"ph":"M","name":"process_name","pid":1,"tid":1,"args":{"name":"qwen3emb (host)"}},)J" "\n";
  out += R"J({"ph":"M","name":"thread_name","pid":1,"tid":1,"args":{"name":"main thread"}},)J" "\n";
  out += R"J({"ph":"M","name":"process_name","pid":2,"tid":7,"args":{"name":"GPU 0: synthetic"}},)J" "\n";
  out += R"J({"ph":"M","name":"thread_name","pid":2,"tid":7,"args":{"name":"stream 7"}})J";
  auto us = [](Ns ns) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, ns / 1000, ns % 1000);
    return std::string(buf);
  };
  generate(slices, seed, [&](const Ev& e) {
    out += ",\n{\"ph\":\"";
    out += e.ph;
    out += "\",\"name\":\"" + e.name + "\",\"cat\":\"" + e.cat + "\",\"pid\":" + std::to_string(e.pid) +
           ",\"tid\":" + std::to_string(e.tid) + ",\"ts\":" + us(e.ts);
    if (e.ph == 'X') {
      out += ",\"dur\":" + us(e.dur);
      if (e.pid == 2)
        out += ",\"args\":{\"grid\":[128,1,1],\"block\":[256,1,1],\"correlation\":" + std::to_string(e.id) + "}";
      else if (e.id)
        out += ",\"args\":{\"correlation\":" + std::to_string(e.id) + "}";
    } else {
      out += ",\"id\":" + std::to_string(e.id);
      if (e.ph == 'f') out += ",\"bp\":\"e\"";
    }
    out += "}";
  });
  out += "\n]}\n";
  return out;
}

}  // namespace qwen3::viewer
