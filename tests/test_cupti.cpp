// The CUPTI session (profiler/cupti_session.cpp).
//   Without a GPU (CI): start_cupti_session refuses with a one-line reason, never crashes, and leaves nothing
//   behind (a second try gives the same kind of reason, not "already active").
//   With a GPU: a few cuda_naive kernels, a copy and a fill inside NVTX ranges; the trace has every kernel once,
//   a flow from each launch to its kernel, the NVTX ranges (marker records), each kernel's "range" argument, the
//   ranges projected on the GPU, properly nested tracks; a second concurrent session is refused.
// The GPU part needs QWEN3_HAVE_CUPTI (qwen3_profiler built with CUPTI) and QWEN3_HAVE_CUDA (qwen3_cuda_naive
// linked); it skips, with the reason, when there is no GPU.
#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tracer.h"
#include "profiler/chrome_json.h"
#include "profiler/session.h"
#include "profiler/trace.h"

#if defined(QWEN3_HAVE_CUDA)
#include "cuda_common/device.h"
#include "cuda_naive/kernels.cuh"
#include "tests/gpu_test_util.h"
#endif

using namespace qwen3;

TEST(CuptiSession, RefusesWithAReasonWhenItCannotStart) {
#if defined(QWEN3_HAVE_CUDA)
  if (qwen3::test::no_gpu_reason().empty()) GTEST_SKIP() << "a CUDA device is present: CuptiSession.TracesKernelsInNvtxRanges runs";
#endif
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string why;
    std::unique_ptr<prof::TraceSession> session = prof::start_cupti_session("test_cupti", &why);
    if (session) {  // built without cuda_naive, but CUPTI started: there is a GPU after all
      session->finish();
      GTEST_SKIP() << "CUPTI started: a GPU is present";
    }
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(why.find('\n'), std::string::npos) << why;  // one line
    // A failed start releases the process's session slot: the second attempt fails for the same reason.
    EXPECT_EQ(why.find("already active"), std::string::npos) << why;
#if !defined(QWEN3_HAVE_CUPTI)
    EXPECT_NE(why.find("no CUPTI"), std::string::npos) << why;
#endif
  }
  // A null `why` is allowed.
  EXPECT_EQ(prof::start_cupti_session("test_cupti", nullptr), nullptr);
}

#if defined(QWEN3_HAVE_CUPTI) && defined(QWEN3_HAVE_CUDA)

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace


// Declares `session` and starts it; skips when another profiler holds CUPTI (running under Nsight, say).
#define QWEN3_START_SESSION(session)                                                                     \
  std::string session##_why;                                                                             \
  std::unique_ptr<prof::TraceSession> session = prof::start_cupti_session("test_cupti", &session##_why); \
  if (!session && contains(session##_why, "MULTIPLE_SUBSCRIBERS")) GTEST_SKIP() << session##_why;        \
  ASSERT_NE(session, nullptr) << session##_why

TEST(CuptiSession, TracesKernelsInNvtxRanges) {
  QWEN3_REQUIRE_GPU();
  // x: [T, in], W: [out, in], y: [T, out]; a, b, c: [n]
  const int64_t T = 3, in = 5, out = 7, n = 1000;
  DeviceBuffer<float> x(T * in, "x"), W(out * in, "W"), y(T * out, "y"), a(n, "a"), b(n, "b"), c(n, "c");
  CudaStream stream;
  const std::vector<float> ones(n, 1.0f);
  // Untraced warm-up: defined inputs, and the kernels' module loaded before the session starts.
  for (DeviceBuffer<float>* buf : {&x, &W, &y, &a, &b, &c}) {
    QWEN3_CUDA_CHECK(cudaMemsetAsync(buf->data(), 0, buf->bytes(), stream.get()), "warm-up");
  }
  cuda_naive::launch_add_inplace(a.data(), b.data(), n, stream.get());
  stream.synchronize("warm-up");

  QWEN3_START_SESSION(session);
  {
    // Only one CUPTI session at a time in a process.
    std::string why;
    EXPECT_EQ(prof::start_cupti_session("second", &why), nullptr);
    EXPECT_TRUE(contains(why, "already active")) << why;
  }
  Tracer* tracer = session->tracer();
  ASSERT_NE(tracer, nullptr);
  {
    TraceScope step(tracer, "step", "host");
    {
      TraceScope r(tracer, "upload", "memcpy");
      a.upload(ones.data(), n, "a");  // cudaMemcpy, host to device
    }
    {
      TraceScope r(tracer, "clear", "memset");
      QWEN3_CUDA_CHECK(cudaMemsetAsync(c.data(), 0, c.bytes(), stream.get()), "clear");
    }
    {
      TraceScope r(tracer, "linear", "gemm");
      cuda_naive::launch_linear(x.data(), W.data(), T, in, out, y.data(), stream.get());
    }
    {
      TraceScope r(tracer, "residual", "elementwise");
      cuda_naive::launch_add_inplace(a.data(), b.data(), n, stream.get());
      cuda_naive::launch_add_inplace(c.data(), b.data(), n, stream.get());
    }
    {
      TraceScope r(tracer, "gate", "elementwise");
      cuda_naive::launch_silu_mul(a.data(), b.data(), n, c.data(), stream.get());
    }
    stream.synchronize("traced step");
  }
  const prof::Trace trace = session->finish();

  // The tracks and ranges nest; the JSON writer takes the trace.
  EXPECT_EQ(prof::check_nesting(trace), "");
  nlohmann::json as_json;
  EXPECT_NO_THROW(as_json = nlohmann::json::parse(prof::chrome_json(trace)));
  EXPECT_TRUE(as_json.contains("traceEvents"));

  // Events by kind.
  std::vector<size_t> kernels, copies, fills, host_ranges, projected;
  for (size_t i = 0; i < trace.events.size(); ++i) {
    const prof::Event& e = trace.events[i];
    const prof::Track& t = trace.tracks.at(e.track);
    if (t.gpu && contains(t.thread_name, "NVTX")) {
      projected.push_back(i);
    } else if (t.gpu && e.args.contains("grid")) {
      kernels.push_back(i);
    } else if (t.gpu && e.category == "memcpy") {
      copies.push_back(i);
    } else if (t.gpu && e.category == "memset") {
      fills.push_back(i);
    } else if (!t.gpu && e.category == "nvtx") {
      host_ranges.push_back(i);
    }
  }
  std::map<size_t, const prof::Flow*> flow_to;
  for (const prof::Flow& f : trace.flows) {
    ASSERT_LT(f.from, trace.events.size());
    ASSERT_LT(f.to, trace.events.size());
    EXPECT_TRUE(flow_to.emplace(f.to, &f).second) << "two flows end at '" << trace.events[f.to].name << "'";
  }

  // Every launched kernel once, with its launch, its range and its arguments.
  struct Expected {
    const char* kernel;
    int count;
    const char* range;
  };
  const Expected expected[] = {{"linear_kernel", 1, "linear"}, {"add_inplace_kernel", 2, "residual"},
                               {"silu_mul_kernel", 1, "gate"}};
  EXPECT_EQ(kernels.size(), 4u);
  for (const Expected& want : expected) {
    int found = 0;
    for (size_t k : kernels) {
      const prof::Event& e = trace.events[k];
      if (!contains(e.name, want.kernel)) continue;
      ++found;
      EXPECT_EQ(e.args.value("range", std::string()), want.range) << e.name;
      EXPECT_TRUE(e.args.contains("block") && e.args.contains("registers_per_thread") && e.args.contains("stream") &&
                  e.args.contains("correlation"))
          << e.args.dump();
      EXPECT_GT(e.dur_ns, 0) << e.name;
      const auto flow = flow_to.find(k);
      ASSERT_NE(flow, flow_to.end()) << "no flow to " << e.name;
      const prof::Event& launch = trace.events[flow->second->from];
      EXPECT_EQ(launch.name, "cudaLaunchKernel");
      EXPECT_EQ(launch.category, "runtime");
      EXPECT_FALSE(trace.tracks[launch.track].gpu);
      EXPECT_EQ(launch.args.value("correlation", 0u), e.args.value("correlation", 1u));
    }
    EXPECT_EQ(found, want.count) << want.kernel;
  }
  for (size_t k : kernels) EXPECT_EQ(trace.events[k].category, prof::kernel_category(trace.events[k].name));

  // The copy and the fill, with their launches and ranges.
  ASSERT_EQ(copies.size(), 1u);
  const prof::Event& copy = trace.events[copies[0]];
  EXPECT_EQ(copy.args.value("kind", std::string()), "HtoD");
  EXPECT_EQ(copy.args.value("bytes", uint64_t{0}), static_cast<uint64_t>(n * sizeof(float)));
  EXPECT_EQ(copy.args.value("range", std::string()), "upload");
  ASSERT_TRUE(flow_to.count(copies[0]));
  EXPECT_EQ(trace.events[flow_to[copies[0]]->from].name, "cudaMemcpy");
  ASSERT_EQ(fills.size(), 1u);
  const prof::Event& fill = trace.events[fills[0]];
  EXPECT_EQ(fill.args.value("bytes", uint64_t{0}), static_cast<uint64_t>(n * sizeof(float)));
  EXPECT_EQ(fill.args.value("range", std::string()), "clear");
  ASSERT_TRUE(flow_to.count(fills[0]));
  EXPECT_EQ(trace.events[flow_to[fills[0]]->from].name, "cudaMemsetAsync");

  // The NVTX ranges arrived as CUPTI marker records, once each, with the tracer's category.
  std::map<std::string, const prof::Event*> range_named;
  for (size_t i : host_ranges) {
    EXPECT_TRUE(range_named.emplace(trace.events[i].name, &trace.events[i]).second) << trace.events[i].name;
  }
  for (const char* name : {"step", "upload", "clear", "linear", "residual", "gate"}) {
    EXPECT_TRUE(range_named.count(name)) << "NVTX range '" << name << "' missing; warnings: "
                                         << trace.metadata.value("warnings", nlohmann::json::array()).dump();
  }
  if (range_named.count("linear")) {
    EXPECT_EQ(range_named["linear"]->args.value("category", std::string()), "gemm")
        << "the tracer's category did not come back in a MARKER_DATA record";
  }

  // The GPU projection: each range from its first device work's start to its last one's end.
  std::map<std::string, const prof::Event*> projection_of;
  for (size_t i : projected) projection_of[trace.events[i].name] = &trace.events[i];
  for (const char* name : {"step", "upload", "clear", "linear", "residual", "gate"}) {
    EXPECT_TRUE(projection_of.count(name)) << "no GPU projection of '" << name << "'";
  }
  for (size_t k : kernels) {
    const prof::Event& e = trace.events[k];
    if (!contains(e.name, "linear_kernel") || !projection_of.count("linear")) continue;
    EXPECT_EQ(projection_of["linear"]->start_ns, e.start_ns);
    EXPECT_EQ(projection_of["linear"]->dur_ns, e.dur_ns);
  }
  if (projection_of.count("step")) {
    const prof::Event& step = *projection_of["step"];
    for (size_t k : kernels) {
      EXPECT_GE(trace.events[k].start_ns, step.start_ns);
      EXPECT_LE(trace.events[k].start_ns + trace.events[k].dur_ns, step.start_ns + step.dur_ns);
    }
  }

  // Synchronisation: the runtime call (category sync) and, inside it, CUPTI's synchronization record.
  bool sync_call = false, sync_record = false;
  for (const prof::Event& e : trace.events) {
    sync_call = sync_call || (e.name == "cudaStreamSynchronize" && e.category == "sync");
    sync_record = sync_record || e.name == "stream synchronize";
  }
  EXPECT_TRUE(sync_call);
  EXPECT_TRUE(sync_record);

  // Metadata.
  EXPECT_FALSE(trace.metadata.value("device", std::string()).empty());
  EXPECT_GT(trace.metadata.value("cupti_version", 0u), 0u);
  EXPECT_EQ(trace.metadata.value("dropped_records", uint64_t{1}), 0u);
  EXPECT_FALSE(trace.metadata.contains("warnings")) << trace.metadata["warnings"].dump();
}

TEST(CuptiSession, StartsAgainAfterFinish) {
  QWEN3_REQUIRE_GPU();
  for (int round = 0; round < 2; ++round) {
    QWEN3_START_SESSION(session);
    DeviceBuffer<float> a(256, "a");
    {
      TraceScope r(session->tracer(), "round", "elementwise");
      QWEN3_CUDA_CHECK(cudaMemset(a.data(), 0, a.bytes()), "clear");
      cuda_naive::launch_add_inplace(a.data(), a.data(), 256, nullptr);
    }
    const prof::Trace trace = session->finish();
    int kernels = 0, ranges = 0;
    for (const prof::Event& e : trace.events) {
      kernels += contains(e.name, "add_inplace_kernel");
      ranges += e.name == "round" && !trace.tracks[e.track].gpu;
    }
    EXPECT_EQ(kernels, 1) << "round " << round;
    EXPECT_EQ(ranges, 1) << "round " << round;
    EXPECT_EQ(prof::check_nesting(trace), "");
  }
}

TEST(CuptiSession, DestroyedWithoutFinishReleasesCupti) {
  QWEN3_REQUIRE_GPU();
  {
    QWEN3_START_SESSION(session);
    session->tracer()->push_range("left open", "host");  // never popped, never finished
  }
  QWEN3_START_SESSION(again);
  again->tracer()->pop_range();  // closes the range left open above, on the NVTX stack of this thread
  (void)again->finish();
}

#endif  // QWEN3_HAVE_CUPTI && QWEN3_HAVE_CUDA
