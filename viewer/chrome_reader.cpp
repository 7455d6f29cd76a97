#include "viewer/chrome_reader.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace qwen3::viewer {

bool micros_text_to_ns(std::string_view s, Ns& out) {
  size_t i = 0;
  const bool neg = i < s.size() && s[i] == '-';
  if (neg || (i < s.size() && s[i] == '+')) ++i;
  // Exponent notation ("1.5e3") is rare in traces: take the long double path for it.
  if (s.find_first_of("eE") != std::string_view::npos) {
    const std::string tmp(s);
    char* end = nullptr;
    const long double v = std::strtold(tmp.c_str(), &end);
    if (end != tmp.c_str() + tmp.size() || !std::isfinite(v) || std::fabs(v) > 9.2e15L) return false;
    out = static_cast<Ns>(std::llround(v * 1000.0L));
    return true;
  }
  // Integer part: whole microseconds.
  const size_t int_begin = i;
  int64_t us = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (us > (std::numeric_limits<int64_t>::max() / 1000 - 9) / 10) return false;  // would overflow in ns
    us = us * 10 + (s[i] - '0');
  }
  bool any_digit = i > int_begin;
  // Fraction: three digits are nanoseconds, the fourth rounds.
  int64_t ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    bool round_up = false;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits) {
      if (digits < 3) ns = ns * 10 + (s[i] - '0');
      else if (digits == 3) round_up = s[i] >= '5';
      any_digit = true;
    }
    for (; digits < 3; ++digits) ns *= 10;
    if (round_up) ++ns;
  }
  if (i != s.size() || !any_digit) return false;
  const int64_t v = us * 1000 + ns;
  out = neg ? -v : v;
  return true;
}

namespace {

using json = nlohmann::json;

// One event's fields while it is being read. Strings keep their capacity from event to event.
struct EventFields {
  char ph = 0;
  bool has_ph = false;
  std::string name, cat, pid, tid, id, id2, bp, scope;
  std::string ts_text, dur_text;  // numbers as written; converted once the event is complete
  bool has_ts = false, has_dur = false;
  ArgList args;  // [0, nargs) are this event's
  size_t nargs = 0;

  void clear() {
    ph = 0;
    has_ph = has_ts = has_dur = false;
    name.clear(), cat.clear(), pid.clear(), tid.clear(), id.clear(), id2.clear(), bp.clear(), scope.clear();
    ts_text.clear(), dur_text.clear();
    nargs = 0;
  }
  std::string& next_arg_value(const std::string& key) {
    if (nargs == args.size()) args.emplace_back();
    args[nargs].first = key;
    args[nargs].second.clear();
    return args[nargs++].second;
  }
};

// A scalar token in the form every consumer wants: its text, and what kind it was.
struct Scalar {
  enum Kind { Null, Bool, Number, String } kind;
  std::string_view text;
};

const char* kind_name(Scalar::Kind k) {
  switch (k) {
    case Scalar::Null: return "null";
    case Scalar::Bool: return "a boolean";
    case Scalar::Number: return "a number";
    case Scalar::String: return "a string";
  }
  return "a value";
}

// Appends `s` as a JSON string literal (for argument values captured as compact JSON).
void append_quoted(std::string& out, std::string_view s) {
  out += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

class ChromeSax {
 public:
  ChromeSax(TraceBuilder& b, const LoadLimits& limits, const std::string& path)
      : b_(b), limits_(limits), path_(path) {}

  // ---- nlohmann::json SAX interface ----------------------------------------------------------------
  bool null() { return scalar({Scalar::Null, "null"}); }
  bool boolean(bool v) { return scalar({Scalar::Bool, v ? "true" : "false"}); }
  bool number_integer(json::number_integer_t v) { return integer_text(std::to_string(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return integer_text(std::to_string(v)); }
  bool number_float(json::number_float_t, const std::string& raw) { return scalar({Scalar::Number, raw}); }
  bool string(std::string& v) { return scalar({Scalar::String, v}); }
  bool binary(json::binary_t&) { return scalar({Scalar::Null, "null"}); }
  bool start_object(std::size_t) { return open('{'); }
  bool start_array(std::size_t) { return open('['); }
  bool end_object() { return close('}'); }
  bool end_array() { return close(']'); }
  bool key(std::string& k);
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> from "line".
    if (auto p = what.find("at line"); p != std::string::npos) what = what.substr(p + 3);
    throw FormatError(path_ + ": not JSON: " + what);
  }

  void check_complete() const;
  const std::map<std::string, uint64_t>& ignored_phases() const { return ignored_phases_; }

 private:
  bool integer_text(std::string s) {
    int_text_ = std::move(s);
    return scalar({Scalar::Number, int_text_});
  }
  bool scalar(const Scalar& v);
  bool open(char bracket);
  bool close(char bracket);
  void capture_scalar(const Scalar& v);
  void capture_open(char bracket);
  void finish_capture();
  void event_field(const Scalar& v);
  void end_event();
  std::string describe() const;
  [[noreturn]] void refuse_time(const std::string& what) const;
  bool read_time(const std::string& field, const std::string& text, Ns& out);
  uint32_t track() { return b_.track(ev_.pid, ev_.tid); }

  TraceBuilder& b_;
  const LoadLimits& limits_;
  const std::string& path_;
  std::string int_text_;

  // Where we are. depth_ counts the containers open around the next token.
  int depth_ = 0;
  enum class Top { None, Array, Object } top_ = Top::None;
  std::string top_key_;            // the current key of the top-level object
  bool saw_events_ = false;        // a "traceEvents" array (or a top-level array) was found
  bool in_events_ = false;
  int elem_depth_ = 0;             // depth_ at which events (the array's elements) begin
  bool in_event_ = false;
  bool in_args_ = false;
  bool in_other_ = false;          // inside "otherData"
  std::string field_key_, arg_key_, other_key_;
  int skip_depth_ = -1;            // >= 0: ignoring a value until depth_ returns here

  // Capturing a nested value (an argument like "grid": [128, 1, 1]) as compact JSON text.
  int capture_depth_ = -1;
  std::string capture_;
  std::string* capture_target_ = nullptr;  // where the text goes (nullptr: an "otherData" value)
  std::vector<char> capture_first_;  // per open container: no comma needed yet

  EventFields ev_;
  uint64_t index_ = 0;             // events seen, for messages ("event #12")
  uint64_t current_ = 0;           // index of the event being dispatched
  uint64_t with_ph_ = 0;
  std::map<std::string, uint64_t> ignored_phases_;
};

bool ChromeSax::key(std::string& k) {
  if (skip_depth_ >= 0) return true;
  if (capture_depth_ >= 0) {
    if (!capture_first_.back()) capture_ += ',';
    capture_first_.back() = 0;
    append_quoted(capture_, k);
    capture_ += ':';
    return true;
  }
  if (top_ == Top::Object && depth_ == 1) top_key_ = k;
  else if (in_args_ && depth_ == elem_depth_ + 2) arg_key_ = k;
  else if (in_event_ && depth_ == elem_depth_ + 1) field_key_ = k;
  else if (in_other_ && depth_ == 2) other_key_ = k;
  return true;
}

void ChromeSax::capture_scalar(const Scalar& v) {
  if (!capture_first_.back() && capture_.back() != ':') capture_ += ',';
  capture_first_.back() = 0;
  if (v.kind == Scalar::String) append_quoted(capture_, v.text);
  else capture_ += v.text;
}

void ChromeSax::capture_open(char bracket) {
  if (!capture_first_.empty()) {
    if (!capture_first_.back() && capture_.back() != ':') capture_ += ',';
    capture_first_.back() = 0;
  }
  capture_ += bracket;
  capture_first_.push_back(1);
}

void ChromeSax::finish_capture() {
  if (capture_target_) *capture_target_ = capture_;
  else b_.metadata(other_key_, capture_);
  capture_depth_ = -1;
  capture_target_ = nullptr;
  capture_first_.clear();
}

bool ChromeSax::scalar(const Scalar& v) {
  if (skip_depth_ >= 0) return true;
  if (capture_depth_ >= 0) {
    capture_scalar(v);
    return true;
  }
  const int d = depth_;
  if (d == 0)
    throw FormatError(path_ + ": not a trace: the JSON is " + kind_name(v.kind) +
                      "; a Chrome trace is an array of events or an object with a \"traceEvents\" array");
  if (top_ == Top::Object && d == 1) {
    if (top_key_ == "traceEvents")
      throw FormatError(path_ + ": not a trace: \"traceEvents\" is " + kind_name(v.kind) + ", not an array");
    return true;  // displayTimeUnit, schemaVersion, ...: not needed
  }
  if (in_events_ && d == elem_depth_)
    throw FormatError(path_ + ": not a trace: event #" + std::to_string(index_) + " is " + kind_name(v.kind) +
                      ", not an object");
  if (in_event_ && d == elem_depth_ + 1) {
    event_field(v);
    return true;
  }
  if (in_args_ && d == elem_depth_ + 2) {
    std::string& out = ev_.next_arg_value(arg_key_);
    out.assign(v.text);
    return true;
  }
  if (in_other_ && d == 2) b_.metadata(other_key_, std::string(v.text));
  return true;
}

bool ChromeSax::open(char bracket) {
  const int d = depth_++;
  if (skip_depth_ >= 0) return true;
  if (capture_depth_ >= 0) {
    capture_open(bracket);
    return true;
  }
  auto start_capture = [&](std::string* target) {
    capture_depth_ = d;
    capture_.clear();
    capture_target_ = target;
    capture_first_.clear();
    capture_open(bracket);
  };
  if (d == 0) {
    if (bracket == '[') {
      top_ = Top::Array;
      in_events_ = saw_events_ = true;
      elem_depth_ = 1;
    } else {
      top_ = Top::Object;
    }
    return true;
  }
  if (top_ == Top::Object && d == 1) {
    if (top_key_ == "traceEvents") {
      if (bracket != '[')
        throw FormatError(path_ + ": not a trace: \"traceEvents\" is an object, not an array");
      in_events_ = saw_events_ = true;
      elem_depth_ = 2;
    } else if (top_key_ == "otherData" && bracket == '{') {
      in_other_ = true;
    } else {
      skip_depth_ = d;
    }
    return true;
  }
  if (in_events_ && d == elem_depth_) {
    if (bracket != '{')
      throw FormatError(path_ + ": not a trace: event #" + std::to_string(index_) + " is an array, not an object");
    in_event_ = true;
    ev_.clear();
    return true;
  }
  if (in_event_ && d == elem_depth_ + 1) {
    if (field_key_ == "args" && bracket == '{') in_args_ = true;
    else if (field_key_ == "id2") start_capture(&ev_.id2);
    else skip_depth_ = d;  // stack frames, nested ids we do not use
    return true;
  }
  if (in_args_ && d == elem_depth_ + 2) {
    start_capture(&ev_.next_arg_value(arg_key_));
    return true;
  }
  if (in_other_ && d == 2) {
    start_capture(nullptr);
    return true;
  }
  skip_depth_ = d;
  return true;
}

bool ChromeSax::close(char bracket) {
  const int d = --depth_;
  if (skip_depth_ >= 0) {
    if (d == skip_depth_) skip_depth_ = -1;
    return true;
  }
  if (capture_depth_ >= 0) {
    capture_ += bracket;
    capture_first_.pop_back();
    if (d == capture_depth_) finish_capture();
    return true;
  }
  if (in_args_ && d == elem_depth_ + 1) {
    in_args_ = false;
  } else if (in_event_ && d == elem_depth_) {
    in_event_ = false;
    end_event();
  } else if (in_events_ && d == elem_depth_ - 1) {
    in_events_ = false;
  } else if (in_other_ && d == 1) {
    in_other_ = false;
  }
  return true;
}

void ChromeSax::event_field(const Scalar& v) {
  const std::string& k = field_key_;
  if (k.empty()) return;
  switch (k[0]) {
    case 'p':
      if (k == "ph" && v.kind == Scalar::String && !v.text.empty()) {
        ev_.ph = v.text[0];
        ev_.has_ph = true;
      } else if (k == "pid") {
        ev_.pid.assign(v.text);
      }
      return;
    case 't':
      if (k == "ts" && (v.kind == Scalar::Number || v.kind == Scalar::String)) {
        ev_.ts_text.assign(v.text);
        ev_.has_ts = true;
      } else if (k == "tid") {
        ev_.tid.assign(v.text);
      }
      return;
    case 'd':
      if (k == "dur" && (v.kind == Scalar::Number || v.kind == Scalar::String)) {
        ev_.dur_text.assign(v.text);
        ev_.has_dur = true;
      }
      return;
    case 'n':
      if (k == "name") ev_.name.assign(v.text);
      return;
    case 'c':
      if (k == "cat") ev_.cat.assign(v.text);
      return;
    case 'i':
      if (k == "id") ev_.id.assign(v.text);
      return;
    case 'b':
      if (k == "bp") ev_.bp.assign(v.text);
      return;
    case 's':
      if (k == "s") ev_.scope.assign(v.text);
      return;
    default:
      return;
  }
}

std::string ChromeSax::describe() const {
  std::string s = "event #" + std::to_string(current_) + " (ph \"" + std::string(1, ev_.ph) + "\"";
  if (!ev_.name.empty()) s += ", name \"" + ev_.name + "\"";
  s += ", pid " + (ev_.pid.empty() ? std::string("?") : ev_.pid) + ", tid " +
       (ev_.tid.empty() ? std::string("?") : ev_.tid);
  if (ev_.has_ts) s += ", ts " + ev_.ts_text;
  return s + ")";
}

// Refuses the whole file for an event whose time lies outside the viewer's range (trace.h, kMaxTimeNs): such
// a clock is broken, and dropping the event would hide it.
void ChromeSax::refuse_time(const std::string& what) const {
  throw LimitError(path_ + ": " + describe() + ": " + what + ", outside the viewer's time range of ±" +
                   std::to_string(kMaxTimeNs / 1000) + " µs (about 146 years either side of 0)");
}

// The event's "ts" or "dur" text as nanoseconds. False (a problem: dropped, or refused in strict mode) when
// the text is not a number; a number too large for int64 nanoseconds refuses the file, and so does a "ts"
// outside ±kMaxTimeNs (a "dur" is checked by where the slice ends).
bool ChromeSax::read_time(const std::string& field, const std::string& text, Ns& out) {
  if (!micros_text_to_ns(text, out)) {
    char* end = nullptr;
    const long double v = std::strtold(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || std::isnan(v)) {
      b_.problem(describe() + ": \"" + field + "\" is not a number; dropped");
      return false;
    }
    refuse_time("\"" + field + "\" is " + text + " µs");  // too large even for int64 nanoseconds
  }
  if (field == "ts" && (out < -kMaxTimeNs || out > kMaxTimeNs)) refuse_time("\"ts\" is " + text + " µs");
  return true;
}

void ChromeSax::end_event() {
  current_ = index_++;  // 0-based, as in "event #0 is a number"
  b_.count_event();
  if (b_.events() > limits_.max_events)
    throw LimitError(path_ + ": more than " + std::to_string(limits_.max_events) +
                     " events, over the viewer's limit (--max-events raises it; docs/viewer.md, Limits)");
  if (!ev_.has_ph) return;  // not an event; counted for the "not a trace" check
  ++with_ph_;
  const char ph = ev_.ph;
  if (ph == 'M') {
    // Metadata: names and display order of processes and threads.
    std::string_view value;
    for (size_t i = 0; i < ev_.nargs; ++i)
      if (ev_.args[i].first == "name" || ev_.args[i].first == "sort_index" || ev_.args[i].first == "labels")
        value = ev_.args[i].second;
    int64_t index = 0;
    const bool numeric = !value.empty() && std::from_chars(value.data(), value.data() + value.size(), index).ec == std::errc();
    if (ev_.name == "process_name") b_.process_name(b_.process(ev_.pid), value);
    else if (ev_.name == "process_labels") b_.process_labels(b_.process(ev_.pid), value);
    else if (ev_.name == "thread_name") b_.thread_name(track(), value);
    else if (ev_.name == "process_sort_index" && numeric) b_.process_sort_index(b_.process(ev_.pid), index);
    else if (ev_.name == "thread_sort_index" && numeric) b_.thread_sort_index(track(), index);
    return;
  }
  Ns ts = 0;
  const bool timed = ph == 'X' || ph == 'B' || ph == 'E' || ph == 'i' || ph == 'I' || ph == 'C' || ph == 's' ||
                     ph == 't' || ph == 'f';
  if (!timed) {
    ++ignored_phases_[std::string(1, ph)];
    return;
  }
  auto where = [this] { return describe(); };
  if (!ev_.has_ts) return b_.problem(where() + ": no \"ts\"; dropped");
  if (!read_time("ts", ev_.ts_text, ts)) return;
  switch (ph) {
    case 'X': {
      Ns dur = 0;
      if (!ev_.has_dur) return b_.problem(where() + ": complete event without \"dur\"; dropped");
      if (!read_time("dur", ev_.dur_text, dur)) return;
      // ts is within ±kMaxTimeNs, so kMaxTimeNs - ts cannot overflow; a negative dur is the builder's problem.
      if (dur > kMaxTimeNs - ts) refuse_time("it ends at ts + dur = " + ev_.ts_text + " + " + ev_.dur_text + " µs");
      b_.complete(track(), ts, dur, ev_.name, ev_.cat, ev_.args, ev_.nargs, where);
      return;
    }
    case 'B': b_.begin(track(), ts, ev_.name, ev_.cat, ev_.args, ev_.nargs); return;
    case 'E': b_.end(track(), ts, ev_.args, ev_.nargs, where); return;
    case 'i':
    case 'I': {
      const char scope = ev_.scope.empty() ? 't' : ev_.scope[0];
      b_.instant(track(), ts, ev_.name, ev_.cat, scope, ev_.args, ev_.nargs);
      return;
    }
    case 'C': {
      // Each numeric argument is one series; an "id" makes a separate counter of the same name.
      const uint32_t proc = b_.process(ev_.pid);
      std::string base = ev_.name;
      if (!ev_.id.empty()) base += " " + ev_.id;
      for (size_t i = 0; i < ev_.nargs; ++i) {
        const std::string& text = ev_.args[i].second;
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) continue;
        const std::string& key = ev_.args[i].first;
        b_.counter(proc, (ev_.nargs == 1 && (key == "value" || key == ev_.name)) ? base : base + "." + key, ts, v);
      }
      return;
    }
    default: {  // flows: s, t, f
      const std::string& id = ev_.id.empty() ? ev_.id2 : ev_.id;
      if (id.empty()) return b_.problem(where() + ": flow event without \"id\"; dropped");
      const std::string key = ev_.cat + '\x1f' + id;
      const bool enclosing = ph != 'f' || ev_.bp == "e";
      b_.flow(ph, track(), ts, key, enclosing, ev_.name);
      return;
    }
  }
}

void ChromeSax::check_complete() const {
  if (!saw_events_)
    throw FormatError(path_ + ": not a trace: a JSON " + (top_ == Top::Object ? "object" : "value") +
                      " without a \"traceEvents\" array");
  if (index_ > 0 && with_ph_ == 0)
    throw FormatError(path_ + ": not a trace: none of its " + std::to_string(index_) +
                      " objects has a \"ph\" (event phase) field");
}

}  // namespace

void read_chrome_json(std::istream& in, TraceBuilder& builder, const LoadLimits& limits, const std::string& path) {
  ChromeSax sax(builder, limits, path);
  json::sax_parse(in, &sax);
  sax.check_complete();
  if (!sax.ignored_phases().empty()) {
    std::string list;
    uint64_t total = 0;
    for (const auto& [ph, n] : sax.ignored_phases()) {
      list += (list.empty() ? "" : ", ") + ph + " x" + std::to_string(n);
      total += n;
    }
    builder.note(std::to_string(total) + " event(s) of phases the viewer does not show were skipped (" + list + ")");
  }
}

}  // namespace qwen3::viewer
