// The viewer's trace loader: every event phase, both top-level forms, gzip, exact nanoseconds, nesting and
// depth assignment, flows, and every kind of bad input (each with a clear message, never a crash or an
// out-of-memory).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "core/error.h"
#include "test_util.h"
#include "viewer/chrome_reader.h"
#include "viewer/interval.h"
#include "viewer/trace_builder.h"
#include "viewer/trace_loader.h"

namespace qwen3::viewer {
namespace {

std::string fixture(const std::string& name) { return test::test_data("traces/" + name); }

// The slice on `track` at `depth` named `name`, or nullptr.
const Slice* find_slice(const Trace& t, std::string_view name) {
  for (const Slice& s : t.slices)
    if (t.name(s) == name) return &s;
  return nullptr;
}

uint32_t index_of(const Trace& t, std::string_view name) {
  const Slice* s = find_slice(t, name);
  return s ? static_cast<uint32_t>(s - t.slices.data()) : kNone;
}

std::string arg(const Trace& t, const Slice& s, std::string_view key) {
  for (const Arg& a : t.args_of(s.args_begin, s.args_count))
    if (t.str(a.key) == key) return std::string(t.arg_value(a));
  return "<missing>";
}

// Expects `fn` to throw E with a message containing every one of `parts`.
template <class E, class Fn>
void expect_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const std::string& p : parts) { EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what; }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

TEST(ViewerLoader, MicrosecondTextToExactNanoseconds) {
  Ns v = 0;
  ASSERT_TRUE(micros_text_to_ns("1234", v));
  EXPECT_EQ(v, 1234000);
  ASSERT_TRUE(micros_text_to_ns("1234.5678", v));
  EXPECT_EQ(v, 1234568);  // the fourth decimal rounds
  ASSERT_TRUE(micros_text_to_ns("4352794481.907", v));
  EXPECT_EQ(v, 4352794481907);  // a double would already be off here for larger clocks; text is exact
  ASSERT_TRUE(micros_text_to_ns("1712345678901.234", v));
  EXPECT_EQ(v, 1712345678901234);
  ASSERT_TRUE(micros_text_to_ns("-3.0004", v));
  EXPECT_EQ(v, -3000);
  ASSERT_TRUE(micros_text_to_ns("0.0005", v));
  EXPECT_EQ(v, 1);
  ASSERT_TRUE(micros_text_to_ns("12.", v));
  EXPECT_EQ(v, 12000);
  ASSERT_TRUE(micros_text_to_ns("1.5e3", v));
  EXPECT_EQ(v, 1500000);
  EXPECT_FALSE(micros_text_to_ns("", v));
  EXPECT_FALSE(micros_text_to_ns("abc", v));
  EXPECT_FALSE(micros_text_to_ns("1.2.3", v));
  EXPECT_FALSE(micros_text_to_ns("-", v));
  EXPECT_FALSE(micros_text_to_ns("99999999999999999999", v));  // overflows int64 nanoseconds
}

TEST(ViewerLoader, EveryPhase) {
  const Trace t = load_trace(fixture("every_phase.json"));
  EXPECT_EQ(t.file_events, 31u);
  EXPECT_EQ(t.problems, 0u);
  // Processes by process_sort_index (GPU 0 first), threads by thread_sort_index (worker before main).
  ASSERT_EQ(t.processes.size(), 2u);
  EXPECT_EQ(t.processes[0].name, "GPU 0");
  EXPECT_EQ(t.processes[0].pid, "gpu0");  // a string pid
  EXPECT_TRUE(t.processes[0].gpu);
  EXPECT_EQ(t.processes[1].name, "host");
  EXPECT_FALSE(t.processes[1].gpu);
  ASSERT_EQ(t.processes[1].tracks.size(), 2u);
  EXPECT_EQ(t.tracks[t.processes[1].tracks[0]].name, "worker");
  EXPECT_EQ(t.tracks[t.processes[1].tracks[1]].name, "main");
  EXPECT_TRUE(t.has_gpu);

  // X, B/E pairs; times exact to the nanosecond.
  ASSERT_EQ(t.slices.size(), 7u);
  const Slice* inner = find_slice(t, "inner");
  ASSERT_TRUE(inner);
  EXPECT_EQ(inner->start, 110500);
  EXPECT_EQ(inner->dur, 20250);
  const Slice* be = find_slice(t, "begin-end");
  ASSERT_TRUE(be);
  EXPECT_EQ(be->start, 135000);
  EXPECT_EQ(be->dur, 5001);  // 140.0005 us rounds to 140001 ns
  EXPECT_EQ(arg(t, *be, "from"), "B");  // arguments of B and E are merged
  EXPECT_EQ(arg(t, *be, "to"), "E");
  EXPECT_EQ(t.category(*be), "norm");
  const Slice* worker = find_slice(t, "worker task");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->dur, 60000);

  // Nesting: outer > (inner > launch_a), begin-end.
  const Slice* outer = find_slice(t, "outer");
  const Slice* launch = find_slice(t, "launch_a");
  ASSERT_TRUE(outer && launch);
  EXPECT_EQ(outer->depth, 0);
  EXPECT_EQ(inner->depth, 1);
  EXPECT_EQ(be->depth, 1);
  EXPECT_EQ(launch->depth, 2);
  EXPECT_TRUE(outer->flags & kHasChildren);
  EXPECT_TRUE(inner->flags & kHasChildren);
  EXPECT_FALSE(launch->flags & kHasChildren);
  EXPECT_EQ(outer->self, 50000 - 20250 - 5001);
  EXPECT_EQ(inner->self, 20250 - 2000);
  EXPECT_EQ(t.parent_of(index_of(t, "launch_a")), index_of(t, "inner"));
  EXPECT_EQ(t.parent_of(index_of(t, "outer")), kNone);

  // Arguments keep their JSON: strings unquoted, numbers as written, arrays and objects compact.
  EXPECT_EQ(arg(t, *outer, "step"), "3");
  EXPECT_EQ(arg(t, *outer, "label"), "first \"pass\"");
  EXPECT_EQ(arg(t, *outer, "dims"), "[[64,1024],[4096,1024]]");
  EXPECT_EQ(arg(t, *outer, "nested"), "{\"k\":true,\"n\":null}");
  const Slice* ka = find_slice(t, "kernel_a");
  ASSERT_TRUE(ka);
  EXPECT_EQ(arg(t, *ka, "grid"), "[128,1,1]");
  EXPECT_EQ(arg(t, *ka, "registers"), "64");

  // Instants (i, I, scopes), on the main thread, sorted.
  const Track& main = t.tracks[t.processes[1].tracks[1]];
  ASSERT_EQ(main.instants.size(), 3u);
  EXPECT_EQ(t.str(main.instants[0].name), "mark");
  EXPECT_EQ(main.instants[1].scope, 't');  // "I" without "s"
  EXPECT_EQ(main.instants[2].scope, 'g');
  EXPECT_EQ(main.instants[2].ts, 107000);

  // Counters: one series per numeric argument; a lone "value" keeps the plain name.
  ASSERT_EQ(t.counters.size(), 3u);
  std::vector<std::string> names;
  for (const Counter& c : t.counters) names.push_back(c.name);
  EXPECT_NE(std::find(names.begin(), names.end(), "memory.allocated"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "memory.reserved"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "temperature"), names.end());
  for (const Counter& c : t.counters)
    if (c.name == "memory.allocated") {
      ASSERT_EQ(c.ts.size(), 2u);
      EXPECT_EQ(c.value[1], 15);
      EXPECT_EQ(c.max, 15);
    }

  // Flows: "bp":"e" binds to the enclosing slice; without it, to the next slice; id2 works as an id.
  ASSERT_EQ(t.flows.size(), 2u);
  bool launch_flow = false, next_flow = false;
  for (const Flow& f : t.flows) {
    if (f.from == index_of(t, "launch_a") && f.to == index_of(t, "kernel_a")) launch_flow = true;
    if (f.from == index_of(t, "worker task") && f.to == index_of(t, "kernel_b")) next_flow = true;
  }
  EXPECT_TRUE(launch_flow);
  EXPECT_TRUE(next_flow);
  EXPECT_EQ(t.flows_of(index_of(t, "kernel_a")).size(), 1u);

  // Ignored phases are reported, not silently lost; otherData is kept.
  ASSERT_FALSE(t.messages.empty());
  EXPECT_NE(t.messages.back().find("b x1"), std::string::npos);
  bool backend = false;
  for (const auto& [k, v] : t.metadata) {
    if (k == "backend") backend = v == "fixture";
    if (k == "nested") { EXPECT_EQ(v, "{\"a\":[1,2]}"); }
  }
  EXPECT_TRUE(backend);
  EXPECT_EQ(t.start, 100000);
  EXPECT_EQ(t.end, 180000);
}

TEST(ViewerLoader, GzipGivesTheSameTrace) {
  const Trace plain = load_trace(fixture("every_phase.json"));
  const Trace gz = load_trace(fixture("every_phase.json.gz"));
  ASSERT_EQ(gz.slices.size(), plain.slices.size());
  for (size_t i = 0; i < gz.slices.size(); ++i) {
    EXPECT_EQ(gz.name(gz.slices[i]), plain.name(plain.slices[i]));
    EXPECT_EQ(gz.slices[i].start, plain.slices[i].start);
    EXPECT_EQ(gz.slices[i].dur, plain.slices[i].dur);
  }
  EXPECT_EQ(gz.flows.size(), plain.flows.size());
}

TEST(ViewerLoader, BareArrayForm) {
  const Trace t = load_trace(fixture("array_form.json"));
  ASSERT_EQ(t.slices.size(), 3u);
  EXPECT_EQ(find_slice(t, "a")->depth, 0);
  EXPECT_EQ(find_slice(t, "b")->depth, 1);
  EXPECT_EQ(find_slice(t, "c")->depth, 0);
  EXPECT_EQ(t.processes[0].name, "process 1");  // no metadata: named from the id
  EXPECT_EQ(t.tracks[0].name, "thread 1");
}

TEST(ViewerLoader, PyTorchKinetoTrace) {
  const Trace t = load_trace(fixture("kineto_small.json"));
  EXPECT_EQ(t.problems, 0u);
  const Slice* linear = find_slice(t, "aten::linear");
  ASSERT_TRUE(linear);
  EXPECT_EQ(linear->start, 1712345678901234);
  EXPECT_EQ(linear->dur, 45678);
  EXPECT_EQ(t.category(*linear), "cpu_op");
  // CPU process (sort index 3015) before the GPU one (16777216); the stream is a GPU track.
  ASSERT_GE(t.processes.size(), 2u);
  EXPECT_EQ(t.processes[0].pid, "3015");
  EXPECT_EQ(t.processes[0].name, "python3 (CPU)");  // process_labels join the name
  EXPECT_EQ(t.processes[1].pid, "0");
  EXPECT_EQ(t.processes[1].name, "python3 (GPU 0)");
  EXPECT_TRUE(t.processes[1].gpu);
  EXPECT_TRUE(t.has_gpu);
  // "ac2g" flows: each cudaLaunchKernel to its kernel.
  ASSERT_EQ(t.flows.size(), 2u);
  for (const Flow& f : t.flows) {
    EXPECT_EQ(t.name(t.slices[f.from]), "cudaLaunchKernel");
    EXPECT_EQ(t.category(t.slices[f.to]), "kernel");
  }
  const Slice* k = find_slice(t, "sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64");
  ASSERT_TRUE(k);
  EXPECT_EQ(arg(t, *k, "registers per thread"), "168");
  EXPECT_EQ(arg(t, *k, "grid"), "[66,1,1]");
}

TEST(ViewerLoader, OurProfilersCpuTraceOfTheTinyModel) {
  const Trace t = load_trace(fixture("tiny_cpu.json"));
  EXPECT_EQ(t.problems, 0u);
  EXPECT_FALSE(t.has_gpu);
  const Slice* fwd = find_slice(t, "forward");
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->depth, 0);
  const Slice* q = find_slice(t, "layer 0 / attention / q_proj");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->depth, 3);  // forward > layer 0 > layer 0 / attention > q_proj
  EXPECT_EQ(t.category(*q), "gemm");
  EXPECT_FALSE(q->flags & kHasChildren);
  EXPECT_EQ(t.name(t.slices[t.parent_of(static_cast<uint32_t>(q - t.slices.data()))]), "layer 0 / attention");
}

TEST(ViewerLoader, RowsAreDisjointAndSorted) {
  const Trace t = load_trace(fixture("forward_gpu.json"));
  size_t total = 0;
  for (const Track& tr : t.tracks)
    for (size_t d = 0; d < tr.rows.size(); ++d) {
      const auto row = t.row_slices(tr.rows[d]);
      total += row.size();
      for (size_t i = 0; i < row.size(); ++i) {
        EXPECT_EQ(row[i].depth, d);
        if (i > 0) { EXPECT_LE(row[i - 1].end(), row[i].start); }
      }
    }
  EXPECT_EQ(total, t.slices.size());
  EXPECT_EQ(t.flows.size(), 61u);  // every launch and copy linked to its GPU work
}

// ---- TraceBuilder on cases files rarely show ---------------------------------------------------------

TEST(ViewerBuilder, DepthsWithSameStartsPartialOverlapsAndEmptySlices) {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("1", "1");
  ArgList none;
  auto where = [] { return std::string("e"); };
  // times in µs (×1000 ns): the overlaps here are far more than a hair (see the next test for hairs)
  b.complete(tr, 0, 100000, "long", "c", none, 0, where);
  b.complete(tr, 0, 40000, "same start, shorter", "c", none, 0, where);  // nests inside "long"
  b.complete(tr, 30000, 30000, "sticks out", "c", none, 0, where);       // 30..60 overlaps 0..40 partly
  b.complete(tr, 100000, 0, "empty at the end", "c", none, 0, where);    // at 100: after "long" ends
  b.complete(tr, 50000, 0, "empty inside", "c", none, 0, where);
  const Trace t = b.finish();
  auto depth = [&](std::string_view n) { return find_slice(t, n)->depth; };
  EXPECT_EQ(depth("long"), 0);
  EXPECT_EQ(depth("same start, shorter"), 1);
  EXPECT_EQ(depth("sticks out"), 2);  // below the slice it overlaps: never drawn on top of it
  EXPECT_EQ(depth("empty at the end"), 0);
  EXPECT_EQ(depth("empty inside"), 3);  // "sticks out" (30..60) is still open at 50, on top of the stack
  // A parent's self time loses only the part of a child that overlaps it (30..40 of "sticks out").
  EXPECT_EQ(find_slice(t, "same start, shorter")->self, 40000 - 10000);
  EXPECT_FALSE(find_slice(t, "same start, shorter")->flags & kHasChildren);  // it holds only a third of it
  // Rows stay disjoint.
  for (const Track& k : t.tracks)
    for (const Row& r : k.rows) {
      const auto s = t.row_slices(r);
      for (size_t i = 1; i < s.size(); ++i) { EXPECT_LE(s[i - 1].end(), s[i].start); }
    }
}

// Kernels replayed from a CUDA graph: each starts a fraction of a microsecond before the previous one ends (as
// CUPTI recorded cuda_opt's 8B pass on an H100: 167 of 294 kernels). They share one row (not a staircase, each
// one row below the last) and stay leaves, so the statistics count every one of them as GPU work, and the NVTX
// ranges projected onto the GPU none.
TEST(ViewerBuilder, KernelsThatOverlapByAHairAreNeighboursNotParents) {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("0", "13");
  b.thread_name(tr, "stream 13");
  ArgList none;
  auto where = [] { return std::string("e"); };
  b.complete(tr, 0, 1000, "gemm A", "gemm", none, 0, where);
  b.complete(tr, 999, 500, "norm B", "norm", none, 0, where);   // starts 1 ns early
  b.complete(tr, 1498, 800, "gemm C", "gemm", none, 0, where);  // starts 1 ns early too
  b.complete(tr, 1600, 100, "inside C", "gemm", none, 0, where);  // a real child: C holds all of it
  const uint32_t projection = b.track("0", "14");  // an NVTX range projected onto the GPU: not work itself
  b.thread_name(projection, "stream 14 (NVTX projection)");
  b.complete(projection, 0, 2300, "forward", "nvtx", none, 0, where);
  const Trace t = b.finish();
  EXPECT_FALSE(t.is_basis(*find_slice(t, "forward")));
  EXPECT_TRUE(t.has_gpu);
  for (const char* n : {"gemm A", "norm B"}) {
    const Slice* s = find_slice(t, n);
    EXPECT_FALSE(s->flags & kHasChildren) << n;
    EXPECT_TRUE(t.is_basis(*s)) << n;
  }
  EXPECT_TRUE(find_slice(t, "gemm C")->flags & kHasChildren);
  for (const char* n : {"gemm A", "norm B", "gemm C"}) EXPECT_EQ(find_slice(t, n)->depth, 0) << n;
  EXPECT_EQ(find_slice(t, "inside C")->depth, 1);
}

// A whole graph replay: 300 kernels, each starting 400 ns before the previous one ends, a 5 µs gap after every
// 50th. One row however long the chain; hovering finds each kernel; busy time counts each overlap once.
TEST(ViewerBuilder, AChainOfHairlineOverlapsStaysOnOneRow) {
  TraceBuilder b("mem", true);
  const uint32_t tr = b.track("0", "7");
  b.thread_name(tr, "stream 7");
  ArgList none;
  auto where = [] { return std::string("e"); };
  Ns start = 0, union_end = 0, busy = 0;
  for (int i = 0; i < 300; ++i) {
    const Ns dur = 3000 + 1000 * (i % 7);
    std::string name = "k";  // (not "k" + std::to_string(i): GCC 12's -Wrestrict false positive)
    name += std::to_string(i);
    b.complete(tr, start, dur, name, "kernel", none, 0, where);
    busy += start + dur - std::max(start, union_end);
    union_end = start + dur;
    start = union_end - 400 + (i % 50 == 49 ? 5400 : 0);
  }
  const Trace t = b.finish();
  ASSERT_EQ(t.tracks.size(), 1u);
  ASSERT_EQ(t.tracks[0].rows.size(), 1u) << "hairline neighbours drawn as a staircase";
  const auto row = t.row_slices(t.tracks[0].rows[0]);
  for (size_t i = 1; i < row.size(); ++i) {
    EXPECT_LT(row[i - 1].start, row[i].start);
    EXPECT_LT(row[i - 1].end(), row[i].end());  // what the binary searches rely on
  }
  const Slice* k10 = find_slice(t, "k10");
  EXPECT_EQ(t.slice_at(0, 0, k10->start + 500), static_cast<uint32_t>(k10 - t.slices.data()));
  const std::vector<TrackBusy> u = busy_in_interval(t, 0, union_end);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].busy, busy);
  EXPECT_EQ(u[0].slices, 300u);
  EXPECT_LT(u[0].fraction, 1.0);
}

TEST(ViewerBuilder, UnfinishedBeginIsClosedAtTheEndAndNoted) {
  TraceBuilder b("mem", false);
  const uint32_t tr = b.track("1", "1");
  ArgList none;
  b.begin(tr, 10, "never ends", "c", none, 0);
  b.complete(tr, 20, 30, "later", "c", none, 0, [] { return std::string("e"); });
  const Trace t = b.finish();
  const Slice* s = find_slice(t, "never ends");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->flags & kUnfinished);
  EXPECT_EQ(s->end(), 50);
  EXPECT_EQ(t.problems, 0u);  // a note, not a problem: truncated traces are normal
  ASSERT_FALSE(t.messages.empty());
  EXPECT_NE(t.messages[0].find("never ended"), std::string::npos);
}

// ---- bad input ----------------------------------------------------------------------------------------

TEST(ViewerLoaderErrors, MissingFileAndDirectory) {
  expect_error<IoError>([] { load_trace(fixture("no_such_trace.json")); }, {"no_such_trace.json", "no such file"});
  expect_error<IoError>([] { load_trace(test::test_data("traces")); }, {"is a directory"});
  // never opened, so never waited on
  expect_error<IoError>([] { load_trace("/dev/zero"); }, {"/dev/zero", "is not a regular file"});
  test::TempDir tmp;
  ASSERT_EQ(::mkfifo(tmp.file("pipe").c_str(), 0600), 0);
  alarm(30);  // were the FIFO opened, the test would be killed here instead of waiting for a writer forever
  expect_error<IoError>([&] { load_trace(tmp.file("pipe")); }, {"pipe", "is not a regular file"});
  alarm(0);
}

TEST(ViewerLoaderErrors, NotJson) {
  expect_error<FormatError>([] { load_trace(fixture("not_json.txt")); }, {"not_json.txt", "not JSON", "line 1"});
  expect_error<FormatError>([] { load_trace(fixture("truncated.json")); }, {"truncated.json", "not JSON"});
}

TEST(ViewerLoaderErrors, JsonThatIsNotATrace) {
  expect_error<FormatError>([] { load_trace(fixture("not_trace.json")); }, {"not a trace", "traceEvents"});
  expect_error<FormatError>([] { load_trace(fixture("events_not_objects.json")); }, {"not a trace", "event #0 is a number"});
  expect_error<FormatError>([] { load_trace(fixture("no_phase.json")); }, {"not a trace", "\"ph\""});
  expect_error<FormatError>([] { parse_trace("42", "number.json"); }, {"number.json", "not a trace", "a number"});
  expect_error<FormatError>([] { parse_trace("{\"traceEvents\": \"x\"}", "s.json"); }, {"\"traceEvents\" is a string"});
}

TEST(ViewerLoaderErrors, EmptyTraces) {
  expect_error<FormatError>([] { load_trace(fixture("empty.json")); }, {"empty.json", "empty trace", "no events"});
  expect_error<FormatError>([] { load_trace(fixture("metadata_only.json")); }, {"empty trace", "none of its 2 events"});
}

TEST(ViewerLoaderErrors, NegativeDurationStrictAndLenient) {
  LoadOptions strict;
  strict.strict = true;
  expect_error<FormatError>([&] { load_trace(fixture("negative_dur.json"), strict); },
                            {"negative_dur.json", "event #1", "\"backwards\"", "negative duration"});
  const Trace t = load_trace(fixture("negative_dur.json"));  // lenient: the rest loads
  EXPECT_EQ(t.slices.size(), 2u);
  EXPECT_EQ(t.problems, 1u);
  ASSERT_EQ(t.messages.size(), 1u);
  EXPECT_NE(t.messages[0].find("negative duration"), std::string::npos);
}

TEST(ViewerLoaderErrors, EndBeforeBegin) {
  LoadOptions strict;
  strict.strict = true;
  expect_error<FormatError>([&] { load_trace(fixture("end_before_begin.json"), strict); }, {"event #0", "no open \"B\""});
  const Trace t = load_trace(fixture("end_before_begin.json"));
  ASSERT_EQ(t.slices.size(), 1u);
  EXPECT_EQ(t.slices[0].dur, 10000);
  EXPECT_EQ(t.problems, 1u);
  // An E earlier than its own B.
  expect_error<FormatError>(
      [&] {
        parse_trace(R"([{"ph":"B","name":"r","pid":1,"tid":1,"ts":10},{"ph":"E","pid":1,"tid":1,"ts":5}])", "back.json",
                    strict);
      },
      {"earlier than its \"B\""});
}

TEST(ViewerLoaderErrors, CorruptGzip) {
  expect_error<FormatError>([] { load_trace(fixture("corrupt.json.gz")); }, {"corrupt.json.gz", "corrupt gzip"});
}

TEST(ViewerLoaderErrors, LimitsRefuseInsteadOfExhaustingMemory) {
  LoadOptions small;
  small.limits.max_file_bytes = 1000;
  expect_error<LimitError>([&] { load_trace(fixture("forward_gpu.json"), small); }, {"forward_gpu.json", "over the viewer's limit"});
  LoadOptions inflate;
  inflate.limits.max_json_bytes = 1000;  // every_phase.json is 2.6 KB once decompressed
  expect_error<LimitError>([&] { load_trace(fixture("every_phase.json.gz"), inflate); }, {"after decompression"});
  LoadOptions few;
  few.limits.max_events = 5;
  expect_error<LimitError>([&] { load_trace(fixture("every_phase.json"), few); }, {"more than 5 events"});
}

// A time outside the viewer's range (±(2^62 - 1) ns) refuses the whole file, naming the event, in lenient
// mode too. Before, ts + dur near INT64_MAX wrapped to a negative end, and the span, the ruler and the
// messages came out negative or wrong.
TEST(ViewerLoaderErrors, TimesOutsideTheViewersRangeRefuseTheFile) {
  auto x = [](const std::string& ts, const std::string& dur) {
    return R"([{"ph":"X","name":"edge","pid":1,"tid":1,"ts":)" + ts + R"(,"dur":)" + dur + "}]";
  };
  for (const LoadOptions& o : {LoadOptions{}, LoadOptions{{}, true}}) {
    // ts + dur overflows int64 nanoseconds (each alone fits).
    expect_error<LimitError>([&] { parse_trace(x("9000000000000000", "9000000000000000"), "o.json", o); },
                             {"o.json", "event #0", "\"edge\"", "outside the viewer's time range", "±4611686018427387 µs"});
    // The end is one microsecond past the range.
    expect_error<LimitError>([&] { parse_trace(x("4611686018427387", "1"), "end.json", o); },
                             {"end.json", "event #0", "ts + dur = 4611686018427387 + 1 µs", "outside the viewer's time range"});
    // A ts below the range, and one too large even for int64 nanoseconds (refused, not "not a number").
    expect_error<LimitError>([&] { parse_trace(x("-4611686018427388", "0"), "neg.json", o); },
                             {"\"ts\" is -4611686018427388 µs", "outside the viewer's time range"});
    expect_error<LimitError>([&] { parse_trace(x("1e300", "1"), "e.json", o); }, {"\"ts\" is 1e300 µs"});
    expect_error<LimitError>([&] { parse_trace(R"([{"ph":"i","name":"p","pid":1,"tid":1,"ts":99999999999999999999}])", "i.json", o); },
                             {"i.json", "ph \"i\"", "outside the viewer's time range"});
  }
  // Two slices across the whole range: each fits, their durations' sum does not; the statistics would overflow.
  const std::string both = R"([{"ph":"B","name":"a","pid":1,"tid":1,"ts":-4611686018427387},
    {"ph":"E","pid":1,"tid":1,"ts":4611686018427387},{"ph":"B","name":"b","pid":1,"tid":2,"ts":-4611686018427387},
    {"ph":"E","pid":1,"tid":2,"ts":4611686018427387}])";
  expect_error<LimitError>([&] { parse_trace(both, "sum.json"); }, {"sum.json", "add up to more than 2^63 ns"});
  // The range's very edges load, exactly.
  const Trace t = parse_trace(R"([{"ph":"B","name":"all","pid":1,"tid":1,"ts":-4611686018427387.903},
    {"ph":"E","pid":1,"tid":1,"ts":"4611686018427387.903"}])", "edges.json");
  ASSERT_EQ(t.slices.size(), 1u);
  EXPECT_EQ(t.slices[0].start, -kMaxTimeNs);
  EXPECT_EQ(t.slices[0].end(), kMaxTimeNs);
  EXPECT_EQ(t.end - t.start, 2 * kMaxTimeNs);
  // Text that is not a number stays an ordinary problem: dropped in lenient mode.
  const Trace d = parse_trace(R"([{"ph":"X","name":"a","pid":1,"tid":1,"ts":"soon","dur":1},
    {"ph":"X","name":"b","pid":1,"tid":1,"ts":5,"dur":1}])", "nan.json");
  EXPECT_EQ(d.slices.size(), 1u);
  EXPECT_EQ(d.problems, 1u);
}

// The JSON reader buffers whitespace and brackets until the next value, so a gzip of a gigabyte of spaces
// cost a gigabyte of memory. Such a run is now limited (64 MiB by default): 4 MiB of spaces against a 1 MiB
// limit is refused, from a gzip and from a plain file, while the same file loads under the default limit and
// shorter gaps separated by values load under the small one.
TEST(ViewerLoaderErrors, AGzipOfWhitespaceIsRefusedNotBuffered) {
  test::TempDir dir;
  const std::string event = R"({"ph":"X","name":"k","pid":1,"tid":1,"ts":1,"dur":2})";
  const std::string plain = dir.file("spaces.json");
  test::write_file(plain, "[" + event + "," + std::string(size_t{4} << 20, ' ') + event + "]");
  const auto gz = test::run_command("gzip -1 -c " + test::shell_quote(plain) + " > " + test::shell_quote(plain + ".gz"));
  ASSERT_EQ(gz.status, 0) << gz.err;
  LoadOptions small;
  small.limits.max_gap_bytes = uint64_t{1} << 20;
  for (const std::string& f : {plain + ".gz", plain})
    expect_error<LimitError>([&] { load_trace(f, small); },
                             {f, "more than 1 MiB of whitespace and brackets in a row", "over the viewer's limit of 1 MiB"});
  EXPECT_EQ(load_trace(plain + ".gz").slices.size(), 2u);  // the default limit: a gap, not an error
  // Brackets count as the gap too ({"x":[[[[...).
  std::string brackets = R"({"x":)";  // built by appending: GCC 12's -Wrestrict misfires on s + std::string(n, c)
  brackets.append(size_t{2} << 20, '[').append("]");
  test::write_file(dir.file("brackets.json"), brackets);
  expect_error<LimitError>([&] { load_trace(dir.file("brackets.json"), small); }, {"whitespace and brackets in a row"});
  // Each value starts the count afresh: three 768 KiB gaps separated by events load under the 1 MiB limit.
  const std::string gap(size_t{768} << 10, '\n');
  test::write_file(dir.file("gaps.json"), "[" + gap + event + "," + gap + event + gap + "]");
  EXPECT_EQ(load_trace(dir.file("gaps.json"), small).slices.size(), 2u);
}

TEST(ViewerLoaderErrors, HugeFilesAreRefusedOrStreamedNotSlurped) {
  test::TempDir dir;
  // A sparse 3 GiB file: over the default 2 GiB limit, refused from its size without reading a byte.
  const std::string huge = dir.file("huge.json");
  { std::ofstream(huge) << ""; }
  ASSERT_EQ(truncate(huge.c_str(), off_t{3} << 30), 0);
  expect_error<LimitError>([&] { load_trace(huge); }, {"huge.json", "3.0 GiB", "over the viewer's limit"});
  // A sparse 1 GB file under the limit is streamed: its first bytes (zeros) already say "not JSON", so the
  // answer comes at once and memory stays flat.
  const std::string gig = dir.file("gig.json");
  { std::ofstream(gig) << ""; }
  ASSERT_EQ(truncate(gig.c_str(), 1'000'000'000), 0);
  expect_error<FormatError>([&] { load_trace(gig); }, {"gig.json", "not JSON"});
}

TEST(ViewerLoaderErrors, ProgressAndCancel) {
  LoadProgress p;
  p.cancel = true;
  expect_error<CancelledError>([&] { load_trace(fixture("forward_gpu.json"), {}, &p); }, {"cancelled"});
  LoadProgress q;
  load_trace(fixture("forward_gpu.json"), {}, &q);
  EXPECT_EQ(q.done.load(), q.total.load());
  EXPECT_GT(q.total.load(), 0u);
}

}  // namespace
}  // namespace qwen3::viewer
