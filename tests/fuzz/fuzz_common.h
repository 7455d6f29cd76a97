// Shared by the libFuzzer targets in this folder (tests/fuzz/fuzz_*.cpp).
//
// What every target counts as an expected outcome and what as a finding:
//   expected  the parser returns, or throws qwen3::Error or a subclass (IoError, FormatError, ShapeError,
//             InputError; the viewer's LimitError and CancelledError derive from it too): a typed refusal
//             with a one-line message is exactly what a malformed file should get;
//   finding   any other exception escaping (a raw nlohmann::json exception, std::bad_alloc, std::length_error,
//             ...: guard() prints its type and message and aborts), a crash, a sanitizer report (ASan, UBSan
//             with -fno-sanitize-recover), an out-of-memory past -rss_limit_mb/-malloc_limit_mb, a timeout.
//
// JSON targets also define LLVMFuzzerCustomMutator with QWEN3_FUZZ_JSON_MUTATOR(): one mutation in eight wraps a
// balanced [...] or {...} of the input in 1 to 8192 more levels of "[" ... "]" (deepen_json), the rest are
// libFuzzer's own (LLVMFuzzerMutate, with the -dict). Nesting deep enough to overflow the stack needs thousands of
// brackets opened and closed at matching places; byte-level mutations of a seed almost never get there (10
// minutes did not, from 6,000-deep seeds), one wrap does.
//
// The parsers read files by path, so each input is written to a scratch folder in /dev/shm (RAM; falls back to
// $TMPDIR or /tmp) made once per process and removed at exit. Folders left by processes that died (a crash
// ends a process without running atexit) are removed by the next process that starts.
#pragma once
#include <cxxabi.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <random>
#include <string>
#include <vector>
#include <string_view>
#include <typeinfo>

#include "core/error.h"

namespace qwen3::fuzz {

// The demangled name of the exception being handled (inside a catch block), e.g.
// "nlohmann::json_abi_v3_11_2::detail::out_of_range".
inline std::string current_exception_type() {
  std::type_info* t = abi::__cxa_current_exception_type();
  if (!t) return "?";
  int status = 0;
  char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string s = status == 0 && name ? name : t->name();
  std::free(name);
  return s;
}

// Runs `f`; a qwen3::Error is an expected outcome, anything else escaping is a finding: one line
// "FINDING: uncaught TYPE: WHAT" on stderr, then abort() so that libFuzzer saves the input as a crash.
template <class F>
void guard(F&& f) {
  try {
    f();
  } catch (const qwen3::Error&) {
    // expected: the input was refused with a typed, one-line error
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: uncaught %s: %s\n", current_exception_type().c_str(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "FINDING: uncaught exception of type %s\n", current_exception_type().c_str());
    std::abort();
  }
}

// Aborts with a message when an invariant of a successful parse does not hold (a finding too).
#define QWEN3_FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "FINDING: check failed: %s (%s:%d): %s\n", #cond, __FILE__, __LINE__, \
                   std::string(what).c_str());                                               \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace detail {

inline std::filesystem::path& scratch_path() {
  static std::filesystem::path p;
  return p;
}

inline void remove_scratch() {
  std::error_code ec;
  if (!scratch_path().empty()) std::filesystem::remove_all(scratch_path(), ec);
}

// Removes qwen3-fuzz.PID.* folders under `base` whose process no longer exists.
inline void remove_stale(const std::filesystem::path& base) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("qwen3-fuzz.", 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + 11, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ec2;
      std::filesystem::remove_all(entry.path(), ec2);
    }
  }
}

}  // namespace detail

// This process's scratch folder (created on first use).
inline const std::filesystem::path& scratch_dir() {
  std::filesystem::path& p = detail::scratch_path();
  if (p.empty()) {
    std::string base = "/dev/shm";
    if (::access(base.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      base = tmp && *tmp ? tmp : "/tmp";
    }
    detail::remove_stale(base);
    std::string templ = base + "/qwen3-fuzz." + std::to_string(::getpid()) + ".XXXXXX";
    if (!::mkdtemp(templ.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    p = templ;
    std::atexit(detail::remove_scratch);
  }
  return p;
}

// Writes `bytes` to `path` (replacing it); aborts if it cannot (the harness is broken, not the parser).
inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (bytes.size() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// Wraps one balanced bracket pair of the JSON text in data[0, size) (chosen at random among those outside
// strings) in k more "[" ... "]", k in 1..8192 as room in max_size allows. Returns the new size, or 0 when the text
// has no balanced pair or no room (the caller then mutates another way).
inline size_t deepen_json(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  std::vector<std::pair<size_t, size_t>> pairs;
  std::vector<size_t> open;
  bool in_string = false, escape = false;
  for (size_t i = 0; i < size; ++i) {
    const uint8_t c = data[i];
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      open.push_back(i);
    } else if ((c == ']' || c == '}') && !open.empty()) {
      if (data[open.back()] == (c == ']' ? '[' : '{')) pairs.emplace_back(open.back(), i);
      open.pop_back();
    }
  }
  if (pairs.empty() || max_size < size + 2) return 0;
  std::minstd_rand rng(seed);
  const auto [b, e] = pairs[rng() % pairs.size()];
  const size_t room = (max_size - size) / 2;
  static constexpr size_t kDepths[] = {1, 2, 16, 128, 1024, 4096, 8192};
  size_t k = kDepths[rng() % (sizeof kDepths / sizeof kDepths[0])];
  if (k > room) k = room;
  std::vector<uint8_t> out;
  out.reserve(size + 2 * k);
  out.insert(out.end(), data, data + b);
  out.insert(out.end(), k, '[');
  out.insert(out.end(), data + b, data + e + 1);
  out.insert(out.end(), k, ']');
  out.insert(out.end(), data + e + 1, data + size);
  std::copy(out.begin(), out.end(), data);
  return out.size();
}

}  // namespace qwen3::fuzz

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

// Defines LLVMFuzzerCustomMutator for a JSON target: deepen_json one time in eight, else libFuzzer's mutations.
#define QWEN3_FUZZ_JSON_MUTATOR()                                                                           \
  extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned seed) {   \
    if (seed % 8 == 0)                                                                                      \
      if (const size_t n = qwen3::fuzz::deepen_json(data, size, max_size, seed / 8)) return n;              \
    return LLVMFuzzerMutate(data, size, max_size);                                                          \
  }
