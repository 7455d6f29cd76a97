// libFuzzer target: the viewer's Chrome trace-event reader (viewer/trace_loader.cpp, trace_input.cpp,
// chrome_reader.cpp, trace_builder.cpp), on plain JSON and on gzip bytes.
//
// Feeds: each input, in lenient mode (the window's) and in strict mode (--strict, --screenshot). A gzip input
// (starting 1f 8b: zlib inflates it, and a corrupt or truncated stream must give FormatError) is written as
// trace.json and opened with load_trace, the viewer's file path; so is one plain-JSON input in 16 (those whose
// size is a multiple of 16); the other plain-JSON inputs go through parse_trace (text in memory), the same reader
// without the file: load_trace allocates a 1 MiB read buffer that costs ~10 ms per call under ASan. Limits are
// lowered (16 MiB of JSON, 200,000 events) so that a small gzip bomb reaches the LimitError paths instead of the
// fuzzer's memory limit.
// On a trace that loads: the documented invariants of viewer/trace.h -- every row's slices sorted by start and
// by end, args and arg text inside their arrays, flows between existing slices, shown tracks and their processes
// pointing at each other -- and the queries the window makes: parent_of, slice_at, flows_of, track_label, label,
// is_basis.
// Expected: a return or qwen3::Error (IoError, FormatError, viewer::LimitError). Finding: anything else
// (tests/fuzz/fuzz_common.h), or a broken invariant.
#include <string>

#include "tests/fuzz/fuzz_common.h"
#include "viewer/trace_loader.h"

using namespace qwen3;
using namespace qwen3::viewer;

namespace {

void check_trace(const Trace& t) {
  const size_t n = t.slices.size();
  for (const Arg& a : t.args) QWEN3_FUZZ_CHECK(a.offset + a.len <= t.arg_text.size(), "arg text");
  for (uint32_t tr = 0; tr < t.tracks.size(); ++tr) {
    const Track& track = t.tracks[tr];
    // A track with nothing on it is listed by no process and its `process` is not renumbered (stale): only the
    // shown tracks are checked.
    if (track.slice_count > 0 || !track.instants.empty()) {
      QWEN3_FUZZ_CHECK(track.process < t.processes.size(), "track.process");
      (void)t.track_label(tr);
    }
    for (size_t d = 0; d < track.rows.size(); ++d) {
      const Row& row = track.rows[d];
      QWEN3_FUZZ_CHECK(row.begin <= row.end && row.end <= n, "row range");
      for (uint32_t i = row.begin; i < row.end; ++i) {
        const Slice& s = t.slices[i];
        QWEN3_FUZZ_CHECK(s.track == tr && s.depth == d, "slice's track/depth");
        QWEN3_FUZZ_CHECK(s.dur >= 0, "negative duration");
        QWEN3_FUZZ_CHECK(static_cast<uint64_t>(s.args_begin) + s.args_count <= t.args.size(), "slice args");
        if (i > row.begin) QWEN3_FUZZ_CHECK(t.slices[i - 1].start <= s.start, "row not sorted by start");
        if (i > row.begin) QWEN3_FUZZ_CHECK(t.slices[i - 1].end() <= s.end(), "row not sorted by end");
        for (const Arg& a : t.args_of(s.args_begin, s.args_count)) (void)t.arg_value(a);
        (void)t.label(s), (void)t.category(s), (void)t.is_basis(s);
        if (i - row.begin < 64) {  // the queries, on the first slices of each row (bounded cost)
          (void)t.parent_of(i);
          (void)t.flows_of(i);
          QWEN3_FUZZ_CHECK(t.slice_at(tr, static_cast<uint32_t>(d), s.start) != kNone, "slice_at(start) missed");
        }
      }
    }
    for (size_t k = 1; k < track.instants.size(); ++k)
      QWEN3_FUZZ_CHECK(track.instants[k - 1].ts <= track.instants[k].ts, "instants not sorted");
  }
  for (const Process& p : t.processes)
    for (uint32_t tr : p.tracks) QWEN3_FUZZ_CHECK(tr < t.tracks.size(), "process.tracks");
  for (const Flow& f : t.flows) QWEN3_FUZZ_CHECK(f.from < n && f.to < n, "flow ends");
  for (const auto& [slice, flow] : t.flow_index) QWEN3_FUZZ_CHECK(slice < n && flow < t.flows.size(), "flow_index");
  for (const Counter& c : t.counters) {
    QWEN3_FUZZ_CHECK(c.ts.size() == c.value.size(), "counter sizes");
    for (size_t k = 1; k < c.ts.size(); ++k) QWEN3_FUZZ_CHECK(c.ts[k - 1] <= c.ts[k], "counter not sorted");
  }
}

}  // namespace

QWEN3_FUZZ_JSON_MUTATOR()

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = fuzz::as_text(data, size);
  LoadOptions options;
  options.limits.max_json_bytes = uint64_t{16} << 20;
  options.limits.max_events = 200'000;
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (gzip || size % 16 == 0) {
    const std::string path = (fuzz::scratch_dir() / "trace.json").string();
    fuzz::write_file(path, in);
    fuzz::guard([&] { check_trace(load_trace(path, options)); });
    options.strict = true;
    fuzz::guard([&] { check_trace(load_trace(path, options)); });
  } else {
    fuzz::guard([&] { check_trace(parse_trace(in, "fuzz input", options)); });
    options.strict = true;
    fuzz::guard([&] { check_trace(parse_trace(in, "fuzz input", options)); });
  }
  return 0;
}
