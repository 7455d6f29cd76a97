#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with package access), before using the lent GPU machine, which has nvcc,
# CMake and g++ but none of our Debian libraries and no way to fetch them. Downloads the -dev packages the
# build needs and unpacks them into .gpu-deps/ (git-ignored, ~15 MB), which the device tool carries along
# (`carry: [".gpu-deps", "data/tokenizer"]`); scripts/gpu_check.sh points CMake at it.
# Boost is not among them: its headers (libboost-dev) are far over the carry limit, and the server needs none at run
# time (Beast and Asio are header-only), so `qwen3emb serve` reaches the GPU machine compiled, in the portable build
# made here and carried by scripts/gpu_slim_build.sh. A build made on the GPU machine itself has no server.
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS=(libeigen3-dev libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
      libpcre2-dev libpcre2-8-0 libutf8proc-dev libutf8proc2)
tmp=$(mktemp -d)
(cd "$tmp" && apt-get download "${PKGS[@]}" >/dev/null)
rm -rf .gpu-deps && mkdir -p .gpu-deps
for deb in "$tmp"/*.deb; do dpkg -x "$deb" .gpu-deps; done
rm -rf .gpu-deps/usr/share/doc .gpu-deps/usr/share/man "$tmp"
du -sh .gpu-deps
