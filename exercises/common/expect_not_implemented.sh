#!/usr/bin/env bash
# CI's check that an exercise's untouched file fails the way a learner should see it fail: exit status 2 and the
# line "exercise NAME: not implemented yet — edit exercises/NAME/FILE (hint: ...)", with no crash and no sanitizer
# report. Once a learner has edited the file (it no longer calls not_implemented) the check is skipped (status 77),
# unless QWEN3_EXERCISES_PRISTINE=1 (.ci/run sets it: a fresh clone must hold every exercise untouched).
#   expect_not_implemented.sh <test program> <NAME> <path of the learner's file>
set -uo pipefail
exe=$1 name=$2 file=$3
if ! grep -q 'not_implemented(' "$file"; then
  if [ "${QWEN3_EXERCISES_PRISTINE:-0}" = 1 ]; then
    echo "FAIL: $file does not call not_implemented(): an untouched exercise must fail with the not-implemented message"
    exit 1
  fi
  echo "skipped: $file has been edited (this check runs on an untouched checkout)"
  exit 77
fi
out=$("$exe" 2>&1)
status=$?
echo "$out" | tail -n 5
if echo "$out" | grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error|Segmentation fault|terminate called'; then
  echo "FAIL: the untouched exercise crashed or tripped a sanitizer instead of saying it is not implemented"
  exit 1
fi
if [ "$status" -ne 2 ]; then
  echo "FAIL: exit status $status, expected 2 (not implemented)"
  exit 1
fi
if ! echo "$out" | grep -q "^exercise $name: not implemented yet — edit exercises/$name/"; then
  echo "FAIL: the last line does not say 'exercise $name: not implemented yet — edit exercises/$name/...'"
  exit 1
fi
echo "PASS: the untouched exercise says it is not implemented"
