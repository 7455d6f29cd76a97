// What this qwen3emb is: its version, the commit of its source tree, how it was built (build type, the CPU
// instruction sets it was compiled for, the CUDA architectures). `qwen3emb --version` prints it; bench records it.
#pragma once
#include <string>

namespace qwen3::cli {

// The source tree's commit at run time ("-dirty" when tracked files differ from it), or "unknown". QWEN3_COMMIT,
// when set, wins: a build carried to another machine (scripts/gpu_slim_build.sh) records the commit it was built
// from, which that machine's copy of the tree may not know.
std::string current_commit();
// The widest x86/Arm vector instruction sets this binary was compiled to use, e.g. "AVX2 FMA" or "SSE2".
std::string simd_level();
// "native (...)" or "portable (...)": the CMake option QWEN3_NATIVE this build was configured with.
std::string cpu_build_text();
// Several lines: "qwen3emb VERSION", commit, build type, CPU build, SIMD level, Eigen's vectorisation, CPU
// threads, CUDA architectures (or "none").
std::string version_text();

}  // namespace qwen3::cli
