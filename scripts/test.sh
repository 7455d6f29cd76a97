#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this):
#   1. setup (dependencies, tokenizer data, peer model), Release build, default model, every test;
#   2. the same tests again in a build with -fsanitize=address,undefined.
# QWEN3_STRICT=1 turns "data missing, run setup.sh" skips into failures, so nothing passes by skipping.
# GPU tests skip with their reason where no CUDA device exists.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
export QWEN3_STRICT=1

scripts/setup.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j "$JOBS")

BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DQWEN3_SANITIZE=ON -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j "$JOBS")
echo "test.sh: all tests passed (Release and ASan/UBSan builds)"
