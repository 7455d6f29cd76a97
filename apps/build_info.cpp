#include "apps/build_info.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "ref_cpu/threads.h"

namespace qwen3::cli {

namespace {

// The output of a shell command without its trailing newline, or "" when it fails.
std::string run_and_read(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (pclose(p) != 0) return "";
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace

std::string current_commit() {
  if (const char* c = std::getenv("QWEN3_COMMIT"); c != nullptr && *c != '\0') return c;
#ifdef QWEN3_SOURCE_DIR
  const std::string dir = QWEN3_SOURCE_DIR;
  if (!std::filesystem::exists(std::filesystem::path(dir) / ".git")) return "unknown";
  const std::string git = "git -C '" + dir + "' ";
  const std::string head = run_and_read(git + "rev-parse HEAD 2>/dev/null");
  if (head.empty()) return "unknown";
  const std::string changes = run_and_read(git + "status --porcelain --untracked-files=no 2>/dev/null");
  return changes.empty() ? head : head + "-dirty";
#else
  return "unknown";
#endif
}

std::string simd_level() {
  std::string s;
  auto add = [&s](const char* name) { s += s.empty() ? name : std::string(" ") + name; };
#if defined(__AVX512F__)
  add("AVX512F");
#endif
#if defined(__AVX2__)
  add("AVX2");
#elif defined(__AVX__)
  add("AVX");
#endif
#if defined(__FMA__)
  add("FMA");
#endif
#if !defined(__AVX__) && defined(__SSE4_2__)
  add("SSE4.2");
#endif
#if !defined(__AVX__) && !defined(__SSE4_2__) && defined(__SSE2__)
  add("SSE2");
#endif
#if defined(__ARM_NEON)
  add("NEON");
#endif
  return s.empty() ? "scalar" : s;
}

std::string cpu_build_text() {
  const std::string b = cpu::cpu_build();
  if (b == "native") return "native (-march=native: this build runs on CPUs like the one that built it)";
  if (b == "portable") return "portable (-DQWEN3_NATIVE=OFF: the architecture's baseline instruction sets)";
  return b;
}

std::string version_text() {
#ifndef QWEN3_VERSION
#define QWEN3_VERSION "unknown"
#endif
#ifndef QWEN3_BUILD_TYPE
#define QWEN3_BUILD_TYPE "unknown"
#endif
#ifndef QWEN3_CUDA_ARCHITECTURES
#define QWEN3_CUDA_ARCHITECTURES "none (built without CUDA)"
#endif
  return std::string("qwen3emb ") + QWEN3_VERSION + "\ncommit: " + current_commit() + "\nbuild type: " +
         QWEN3_BUILD_TYPE + "\nCPU build: " + cpu_build_text() + "\nCPU instruction sets: " + simd_level() +
         "\nEigen vectorisation: " + cpu::eigen_instruction_sets() +
         "\nCPU threads: " + std::to_string(cpu::num_threads()) + "\nCUDA architectures: " + QWEN3_CUDA_ARCHITECTURES +
         "\n";
}

}  // namespace qwen3::cli
