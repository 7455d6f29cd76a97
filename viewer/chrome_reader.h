// Chrome trace-event JSON, read as a stream of tokens (nlohmann::json's SAX interface) straight into a
// TraceBuilder: no JSON document is ever built, so memory grows with the number of events (~50 bytes each),
// not with the ~400 bytes per value a DOM would take.
//
// What is understood (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
//   top level   an array of events, or an object whose "traceEvents" is one ("otherData" is kept as
//               metadata; every other key is skipped)
//   X           complete slice: ts, dur                       B / E   begin / end, matched per thread as a stack
//   i / I       instant (s: "t", "p" or "g")                  C       counter: each numeric arg is a series
//   M           process_name, process_labels (Kineto's "CPU", "GPU 0"), thread_name, process_sort_index,
//               thread_sort_index
//   s / t / f   flow start / step / finish, matched by (cat, id or id2); "bp":"e" binds to the enclosing slice
// ts and dur are microseconds, integers or decimals: "12.345" is converted to 12345 ns exactly from the text.
// pid and tid may be numbers or strings. Other phases (async b/e/n, samples, objects, marks) are counted and
// reported as ignored.
#pragma once
#include <istream>
#include <string>
#include <string_view>

#include "viewer/trace_builder.h"
#include "viewer/trace_input.h"

namespace qwen3::viewer {

// Parses the whole stream into `builder`. Throws FormatError for input that is not JSON ("not JSON at line
// L, column C: ...") or not a trace ("the top level is a number", "no \"traceEvents\" array", "event #3 is
// a string, not an object"), LimitError past limits.max_events and for an event whose ts (or ts + dur) lies
// outside ±kMaxTimeNs (trace.h), naming the event.
void read_chrome_json(std::istream& in, TraceBuilder& builder, const LoadLimits& limits, const std::string& path);

// Microseconds written as JSON number text ("1234", "1234.5678", "-3", "1.5e3") to integer nanoseconds,
// rounding the fourth decimal half away from zero. False for text that is not a number or overflows.
bool micros_text_to_ns(std::string_view text, Ns& out);

}  // namespace qwen3::viewer
