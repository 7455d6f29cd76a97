#!/usr/bin/env bash
# Configure and build (Release) into build/, then write the default tiny model if it is not there yet.
#   scripts/build.sh [extra cmake -D options...]
# Environment: BUILD_DIR (default build), BUILD_TYPE (default Release), JOBS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DQWEN3_WERROR=ON "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
if [ ! -f data/tiny-qwen3/model.safetensors ]; then
  "$BUILD_DIR"/apps/qwen3emb init-tiny
fi
