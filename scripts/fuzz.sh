#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that reads outside data (libFuzzer + ASan + UBSan; tests/fuzz/,
# results in docs/results/fuzzing.md).
#
# Usage:
#   scripts/fuzz.sh NAME SECONDS [LIBFUZZER_FLAG...]  fuzz one target for SECONDS, keeping on after findings
#                                                     (-fork=1 -ignore_crashes=1 ...); prints execs and coverage
#   scripts/fuzz.sh --smoke [SECONDS]                 every target for SECONDS each (default 20), stopping at the
#                                                     first finding; exits 1 if any target found something
#   scripts/fuzz.sh --triage NAME [FILE...]           run NAME once on each FILE (default: the crash/oom/timeout
#                                                     inputs in build-fuzz/artifacts/NAME/) and print, per input,
#                                                     the first line of its report and the first project frame
#   scripts/fuzz.sh --build                           only build build-fuzz/
#   scripts/fuzz.sh --list                            the target names
# Targets: safetensors safetensors_index config tokenizer_load tokenizer_encode chrome_trace serve_request
#
# Builds tests/fuzz (a standalone CMake project) with clang into build-fuzz/ when needed. Each run reads the
# committed seeds (tests/fuzz/corpus/NAME) and saved findings (tests/fuzz/findings/NAME, as regression inputs)
# and writes new inputs to build-fuzz/corpus/NAME, crash inputs to build-fuzz/artifacts/NAME/ (NAME mode) or
# build-fuzz/smoke/NAME/ (--smoke), logs next to them. Copy a crash input worth keeping into
# tests/fuzz/findings/NAME/ by hand.
# Without clang++ and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev) it prints one line and exits 0,
# or 1 when QWEN3_STRICT=1.
# Environment: JOBS (build parallelism, default 2), FUZZ_FORK (NAME mode: parallel fork jobs, default 1),
# QWEN3_FUZZ_TOKENIZER_DIR (the tokenizer fuzz_tokenizer_encode loads; default data/tokenizer), FUZZ_NO_BUILD=1
# (use build-fuzz/ as it is: for long runs while others edit the sources).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=$ROOT/build-fuzz
TARGETS=(safetensors safetensors_index config tokenizer_load tokenizer_encode chrome_trace serve_request)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

# -max_len per target: the JSON readers need room for the ~10,000-level nesting that overflows the stack under
# ASan (20 KB of brackets); the tokenizer's text needs less.
max_len() {
  case $1 in
    tokenizer_encode) echo 4096 ;;
    *) echo 65536 ;;
  esac
}

have_libfuzzer() {
  command -v clang++ >/dev/null 2>&1 || return 1
  local probe
  probe=$(mktemp -d)
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }\n' >"$probe/p.cpp"
  local ok=0
  clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" >/dev/null 2>&1 || ok=1
  rm -rf "$probe"
  return $ok
}

build() {
  if ! have_libfuzzer; then
    if [[ ${QWEN3_STRICT:-0} == 1 ]]; then
      echo "fuzz.sh: FAIL: clang++ with libFuzzer not found (QWEN3_STRICT=1; apt-get install clang libclang-rt-14-dev)" >&2
      exit 1
    fi
    echo "fuzz.sh: skipped: clang++ with libFuzzer not found (apt-get install clang libclang-rt-14-dev)"
    exit 0
  fi
  if [[ ! -f $BUILD/CMakeCache.txt ]]; then
    local gen=()
    command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
    CC=clang CXX=clang++ cmake -S tests/fuzz -B "$BUILD" "${gen[@]}" >/dev/null
  fi
  [[ ${FUZZ_NO_BUILD:-0} == 1 ]] && return 0
  # flock: two fuzz.sh started together must not run two ninjas in one folder
  flock "$BUILD/.build.lock" cmake --build "$BUILD" -j "${JOBS:-2}" >"$BUILD/build.log" 2>&1 \
    || { tail -40 "$BUILD/build.log" >&2; exit 1; }
}

# The libFuzzer flags every run shares; the corpus folders follow them.
common_flags() {
  local t=$1
  echo "-dict=$ROOT/tests/fuzz/dict/$t.dict -max_len=$(max_len "$t") -rss_limit_mb=2048 -timeout=10 -print_final_stats=1"
}
corpus_dirs() {
  local t=$1
  mkdir -p "$BUILD/corpus/$t"
  local dirs="$BUILD/corpus/$t $ROOT/tests/fuzz/corpus/$t"
  if compgen -G "$ROOT/tests/fuzz/findings/$t/*" >/dev/null; then dirs+=" $ROOT/tests/fuzz/findings/$t"; fi
  echo "$dirs"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# The first line of what went wrong in a libFuzzer log: our FINDING line, a sanitizer's, or libFuzzer's own.
first_report_line() {
  grep -m1 -E 'FINDING:|runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|==ERROR|out-of-memory|timeout' "$1" \
    | cut -c1-300 || true
}

run_one() {  # NAME SECONDS [flags...]
  local t=$1 secs=$2
  shift 2
  local out=$BUILD/artifacts/$t
  mkdir -p "$out"
  local log
  log=$out/fuzz-$(date +%Y%m%d-%H%M%S).log
  touch "$log.start"  # crash inputs newer than this are this run's
  echo "fuzz.sh: $t for ${secs}s (log $log)"
  # shellcheck disable=SC2046
  "$BUILD/fuzz_$t" $(common_flags "$t") -max_total_time="$secs" -fork="${FUZZ_FORK:-1}" -ignore_crashes=1 \
    -ignore_ooms=1 -ignore_timeouts=1 -artifact_prefix="$out/" "$@" $(corpus_dirs "$t") >"$log" 2>&1 || true
  summarize "$t" "$log" "$out"
}

summarize() {  # NAME LOG ARTIFACT_DIR
  local t=$1 log=$2 out=$3
  # fork mode: "#123: cov: 1 ft: 2 corp: 3 exec/s: 4 oom/timeout/crash: 0/0/1 time: 5s job: 6 dft_time: 0";
  # plain mode: "#123  DONE   cov: 1 ft: 2 corp: 3/4Kb ..." and "stat::number_of_executed_units: 123"
  local last execs
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  [[ -z $execs ]] && execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  local cov ft corp
  cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
  corp=$(grep -oE 'corp: [0-9/a-zA-Z]+' <<<"$last" | cut -d' ' -f2 || true)
  local crashes
  crashes=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) \
            -newer "$log.start" 2>/dev/null | wc -l || echo 0)
  echo "fuzz.sh: $t: execs ${execs:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, new crash/oom/timeout inputs $crashes"
  echo "fuzz.sh: $t: last stats line: ${last:-none}"
  [[ $crashes -gt 0 ]] && find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) \
    -newer "$log.start" | head -20 | sed 's/^/fuzz.sh:   /'
  return 0
}

triage() {  # NAME [FILE...]
  local t=$1
  shift
  local files=("$@")
  if [[ ${#files[@]} -eq 0 ]]; then
    mapfile -t files < <(find "$BUILD/artifacts/$t" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' \
                           -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
  fi
  local f log
  log=$(mktemp)
  for f in "${files[@]}"; do
    # shellcheck disable=SC2046
    "$BUILD/fuzz_$t" $(common_flags "$t") -runs=1 "$f" >"$log" 2>&1 || true
    local frame
    frame=$(grep -m1 -oE ' in [^ ].* /[^ ]*/(core|viewer)/[^ ]+' "$log" | sed -E 's/^ in //' | cut -c1-200 || true)
    printf '%s\t%s\t%s\n' "$f" "$(first_report_line "$log")" "${frame:--}"
  done
  rm -f "$log"
}

smoke() {
  local secs=${1:-20} failed=() t
  local start=$SECONDS
  for t in "${TARGETS[@]}"; do
    local out=$BUILD/smoke/$t
    rm -rf "$out"
    mkdir -p "$out"
    local log=$out/fuzz.log rc=0
    # shellcheck disable=SC2046
    "$BUILD/fuzz_$t" $(common_flags "$t") -max_total_time="$secs" -artifact_prefix="$out/" \
      $(corpus_dirs "$t") >"$log" 2>&1 || rc=$?
    local last
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -E 's/ +/ /g' | cut -c1-120 || true)
    if [[ $rc -ne 0 ]]; then
      failed+=("$t")
      echo "fuzz.sh: smoke $t: FINDING (exit $rc): $(first_report_line "$log")"
      echo "fuzz.sh:   input: $(find "$out" -maxdepth 1 -type f ! -name fuzz.log | head -1); log: $log"
    else
      echo "fuzz.sh: smoke $t: ok ($last)"
    fi
  done
  echo "fuzz.sh: smoke: ${#TARGETS[@]} targets, ${secs}s each, $((SECONDS - start))s in all"
  if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: smoke FAILED: ${failed[*]} (saved findings in tests/fuzz/findings/ are rerun on purpose: they fail until fixed)" >&2
    exit 1
  fi
}

[[ $# -ge 1 ]] || usage
case $1 in
  -h|--help) usage 0 ;;
  --list) printf '%s\n' "${TARGETS[@]}" ;;
  --build) build ;;
  --triage) [[ $# -ge 2 ]] || usage; build; shift; triage "$@" ;;
  --smoke) build; smoke "${2:-20}" ;;
  *)
    [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage
    [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "fuzz.sh: unknown target '$1' (--list)" >&2; exit 2; }
    build
    run_one "$@"
    ;;
esac
