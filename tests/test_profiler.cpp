// The profiler without a GPU: a CPU-backend trace of the tiny model, written as Chrome trace-event JSON and
// read back; ranges nest on their thread; every layer has its ranges; the summary's shares sum to 100%.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "profiler/chrome_json.h"
#include "profiler/session.h"
#include "profiler/summary.h"
#include "ref_cpu/cpu_backend.h"
#include "tests/test_util.h"

using namespace qwen3;
using qwen3::test::shell_quote;
using qwen3::test::TempDir;

namespace {

// "1234.567" (microseconds) -> 1234567 ns, exactly, as the writer prints them.
int64_t parse_ns(const nlohmann::json& v) {
  return static_cast<int64_t>(std::llround(v.get<double>() * 1000.0));
}

struct ParsedEvent {
  std::string name, cat;
  int64_t start, dur;
};

// The complete events of a trace file, grouped by (pid, tid), each group sorted by start (longest first).
std::map<std::pair<int64_t, int64_t>, std::vector<ParsedEvent>> complete_events(const nlohmann::json& j) {
  std::map<std::pair<int64_t, int64_t>, std::vector<ParsedEvent>> by_thread;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    by_thread[{e["pid"].get<int64_t>(), e["tid"].get<int64_t>()}].push_back(
        {e["name"], e["cat"], parse_ns(e["ts"]), parse_ns(e["dur"])});
  }
  for (auto& [k, v] : by_thread) {
    std::sort(v.begin(), v.end(), [](const ParsedEvent& a, const ParsedEvent& b) {
      return a.start != b.start ? a.start < b.start : a.dur > b.dur;
    });
  }
  return by_thread;
}

}  // namespace

TEST(Trace, KernelCategories) {
  EXPECT_EQ(prof::kernel_category("void sm90_xmma_gemm_bf16bf16_bf16f32"), "gemm");
  EXPECT_EQ(prof::kernel_category("nvjet_hsh_128x256_64x4_2x1_v_bz_coopA_TNT"), "gemm");
  EXPECT_EQ(prof::kernel_category("qwen3::cuda_naive::linear_kernel(float const*, ...)"), "gemm");
  EXPECT_EQ(prof::kernel_category("flash_fwd_kernel"), "attention");
  EXPECT_EQ(prof::kernel_category("causal_softmax_kernel"), "attention");
  EXPECT_EQ(prof::kernel_category("rms_norm_apply_kernel"), "norm");
  EXPECT_EQ(prof::kernel_category("silu_mul_kernel"), "elementwise");
}

TEST(Trace, ShortKernelNames) {
  EXPECT_EQ(prof::short_kernel_name("void qwen3::cuda_naive::(anonymous namespace)::linear_kernel(float const*, long)"),
            "linear_kernel");
  EXPECT_EQ(prof::short_kernel_name("void gemm_05<128, 64, (bool)1>(float const*, float*)"), "gemm_05<128, 64, (bool)1>");
  EXPECT_EQ(prof::short_kernel_name("nvjet_hsh_128x256_64x4_2x1_v_bz_coopA_TNT"), "nvjet_hsh_128x256_64x4_2x1_v_bz_coopA_TNT");
  EXPECT_EQ(prof::short_kernel_name("[CUDA memcpy HtoD]"), "[CUDA memcpy HtoD]");
  // as CUPTI recorded cuda_opt's kernels on the H100 (docs/results/raw/trace_opt_8b_800.json.gz): qualifiers
  // inside the template arguments go too
  EXPECT_EQ(prof::short_kernel_name("void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::AddF32>(CUtensorMap_st, "
                                    "CUtensorMap_st, int, int, int, qwen3::cuda_opt::AddF32)"),
            "wgmma_tma_kernel<AddF32>");
  EXPECT_EQ(prof::short_kernel_name("void qwen3::cuda_opt::(anonymous namespace)::flash_attention_kernel<128>("
                                    "__nv_bfloat16 const*, long, int const*, int, int, float, __nv_bfloat16*)"),
            "flash_attention_kernel<128>");
  // PyTorch's: nested template arguments with spaces
  EXPECT_EQ(prof::short_kernel_name("void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<float>, "
                                    "at::detail::Array<char*, 1> >(int, at::native::FillFunctor<float>, "
                                    "at::detail::Array<char*, 1>)"),
            "vectorized_elementwise_kernel<4, FillFunctor<float>, Array<char*, 1> >");
  // not signatures: kept whole
  for (const char* name : {"forward (CUDA graph replay)", "aten::linear", "layer 3 / attention / q_proj", "Memcpy HtoD",
                           "", "cudaLaunchKernel", "rms_norm (x)", "a::b(", "operator>(int)"}) {
    EXPECT_EQ(prof::short_kernel_name(name), name);
  }
}

TEST(Trace, NestingCheckFindsOverlaps) {
  prof::Trace t;
  const size_t tr = t.track(1, 1, "p", "t", false);
  t.events.push_back({"outer", "host", 0, 100, tr, {}});
  t.events.push_back({"inner", "host", 10, 20, tr, {}});
  t.events.push_back({"after", "host", 100, 5, tr, {}});
  EXPECT_EQ(prof::check_nesting(t), "");
  t.events.push_back({"straddles", "host", 90, 20, tr, {}});
  EXPECT_NE(prof::check_nesting(t).find("straddles"), std::string::npos);
}

TEST(Trace, JsonTimestampsKeepNanoseconds) {
  prof::Trace t;
  const size_t tr = t.track(7, 9, "proc \"x\"", "thread", false);
  t.events.push_back({"op", "gemm", 1234567, 89, tr, {{"bytes", 4096}}});
  const auto j = nlohmann::json::parse(prof::chrome_json(t));
  const auto& events = j["traceEvents"];
  const auto x = std::find_if(events.begin(), events.end(), [](const auto& e) { return e["ph"] == "X"; });
  ASSERT_NE(x, events.end());
  EXPECT_EQ(parse_ns((*x)["ts"]), 1234567);
  EXPECT_EQ(parse_ns((*x)["dur"]), 89);
  EXPECT_EQ((*x)["args"]["bytes"], 4096);
  EXPECT_EQ(j["displayTimeUnit"], "ns");
  const auto name = std::find_if(events.begin(), events.end(), [](const auto& e) { return e["name"] == "process_name"; });
  ASSERT_NE(name, events.end());
  EXPECT_EQ((*name)["args"]["name"], "proc \"x\"");
}

class CpuTrace : public ::testing::Test {
 protected:
  void SetUp() override { QWEN3_REQUIRE_PATH(qwen3::test::tiny_model_dir() + "/model.safetensors"); }
  TempDir tmp;
};

TEST_F(CpuTrace, WrittenParsedBackNestedAndComplete) {
  const std::string out = tmp.file("trace.json");
  const auto r = qwen3::test::run_command(shell_quote(qwen3::test::cli_path()) + " trace --backend cpu --seq 24 --batch 2 -o " +
                                          shell_quote(out) + " --summary");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(qwen3::test::read_file(out));  // valid JSON
  ASSERT_TRUE(j["traceEvents"].is_array());
  for (const auto& e : j["traceEvents"]) {
    ASSERT_TRUE(e.contains("ph") && e.contains("name") && e.contains("pid")) << e.dump();
    if (e["ph"] == "X") {
      ASSERT_TRUE(e["ts"].is_number() && e["dur"].is_number() && e.contains("tid") && e.contains("cat")) << e.dump();
      EXPECT_GE(e["dur"].get<double>(), 0.0);
    }
  }
  const auto threads = complete_events(j);
  ASSERT_EQ(threads.size(), 1u);  // the CPU backend runs on one thread
  const auto& events = threads.begin()->second;

  // Every range nests inside the one that encloses its start.
  std::vector<const ParsedEvent*> stack;
  for (const ParsedEvent& e : events) {
    while (!stack.empty() && stack.back()->start + stack.back()->dur <= e.start) stack.pop_back();
    if (!stack.empty()) {
      EXPECT_LE(e.start + e.dur, stack.back()->start + stack.back()->dur) << e.name << " leaves " << stack.back()->name;
    }
    stack.push_back(&e);
  }

  // Every layer has its ranges.
  std::set<std::string> names;
  for (const ParsedEvent& e : events) names.insert(e.name);
  EXPECT_TRUE(names.count("forward"));
  for (int l = 0; l < 3; ++l) {
    const std::string L = "layer " + std::to_string(l);
    for (const std::string& n : {L, L + " / attention", L + " / mlp", L + " / attention / q_proj",
                                 L + " / attention / attention", L + " / mlp / down_proj"}) {
      EXPECT_TRUE(names.count(n)) << n;
    }
  }

  // The summary written next to it: shares sum to 100%, and matmuls are a category of their own.
  const auto s = nlohmann::json::parse(qwen3::test::read_file(tmp.file("trace.summary.json")));
  double share = 0;
  for (const auto& c : s["by_category"]) share += c["share"].get<double>();
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_NE(r.out.find("gemm"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("overhead"), std::string::npos) << r.out;
}

TEST_F(CpuTrace, InProcessSessionAndSummary) {
  auto backend = cpu::CpuBackend::from_dir(qwen3::test::tiny_model_dir());
  auto session = prof::start_host_session("test");
  ForwardOptions opt;
  opt.tracer = session->tracer();
  backend->forward(Batch::pack(synthetic_sequences({5, 9}, backend->config().vocab_size)), opt);
  const prof::Trace t = session->finish();
  EXPECT_EQ(prof::check_nesting(t), "");
  const prof::Summary s = prof::summarize(t);
  EXPECT_EQ(s.basis, "host leaf ranges (ops)");
  double share = 0;
  int64_t total = 0;
  for (const auto& c : s.by_category) share += c.share, total += c.total_ns;
  EXPECT_NEAR(share, 1.0, 1e-9);
  EXPECT_EQ(total, s.total_ns);
  // 3 layers x (q, k, v, o, gate, up, down) projections.
  const auto gemm = std::find_if(s.by_category.begin(), s.by_category.end(), [](const auto& c) { return c.name == "gemm"; });
  ASSERT_NE(gemm, s.by_category.end());
  EXPECT_EQ(gemm->calls, 21);
}

TEST_F(CpuTrace, GzipAndBadOutputPath) {
  const std::string out = tmp.file("trace.json.gz");
  const auto r = qwen3::test::run_command(shell_quote(qwen3::test::cli_path()) + " trace --backend cpu --seq 8 -o " + shell_quote(out));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto unzipped = qwen3::test::run_command("gzip -dc " + shell_quote(out));
  EXPECT_TRUE(nlohmann::json::parse(unzipped.out)["traceEvents"].is_array());
  const auto bad = qwen3::test::run_command(shell_quote(qwen3::test::cli_path()) +
                                            " trace --backend cpu --seq 8 -o /nonexistent/dir/t.json");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("error: cannot write the trace to /nonexistent/dir/t.json"), std::string::npos) << bad.err;
}
