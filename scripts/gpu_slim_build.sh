#!/usr/bin/env bash
# Copies what a GPU machine needs to run the tests and programs of a build made HERE (default build-gpu/, CUDA
# architecture 90, configured portable: BUILD_DIR=build-gpu scripts/build.sh -DQWEN3_NATIVE=OFF) into .gpu-build/
# (git-ignored): the executables and CTest's files, without object files and
# static libraries, and without the viewer (the GPU machine has no GLFW or X server; gpu_check.sh leaves its suites
# out), small enough for the device tool's carry limit. scripts/gpu_check.sh runs it with
# QWEN3_PREBUILT=.gpu-build, so the lease is not spent compiling:
#   run(command="QWEN3_PREBUILT=.gpu-build bash scripts/gpu_check.sh", carry=[".gpu-build", ".gpu-deps", "data/tokenizer"])
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-build-gpu}
[ -f "$SRC/CMakeCache.txt" ] || { echo "gpu_slim_build: $SRC is not a build folder" >&2; exit 1; }
# The binaries run on another machine's CPU: a native build (-march=native, the default) could use instructions that
# CPU lacks (AVX-512 here, say) and die with SIGILL there. Only a portable build is carried.
grep -q '^QWEN3_NATIVE:BOOL=OFF$' "$SRC/CMakeCache.txt" || {
  echo "gpu_slim_build: $SRC is a native build; build it portable: BUILD_DIR=$SRC scripts/build.sh -DQWEN3_NATIVE=OFF" >&2
  exit 1
}
rm -rf .gpu-build && mkdir -p .gpu-build
(cd "$SRC" && find . -path ./logs -prune -o \( -type f \( -perm -u+x -o -name 'CTestTestfile.cmake' \
    -o -name '*_tests.cmake' -o -name '*_include.cmake' -o -name 'DartConfiguration.tcl' \) -print \) |
  grep -v '/CMakeFiles/' | grep -v -E '/(test_viewer_[a-z_]+|qwen3-viewer)$' | while read -r f; do mkdir -p "../.gpu-build/$(dirname "$f")" && cp -p "$f" "../.gpu-build/$f"; done)
strip --strip-debug .gpu-build/*/* 2>/dev/null || true
# The commit it was built from (the GPU machine's copy of .git may be older): gpu_check.sh and gpu_bench.sh
# export it as QWEN3_COMMIT, which qwen3emb bench and bench_pytorch.py record.
c=$(git rev-parse HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || c="$c-dirty"
echo "$c" >.gpu-build/COMMIT
du -sh .gpu-build
