#!/usr/bin/env bash
# CI's check that an exercise is complete as a learner meets it: a statement (README.md), a file to edit with a
# TODO, at least one graded hint (hints.md, "## Hint 1"), a reference solution and at least one known-wrong answer.
#   expect_exercise_files.sh <exercise folder> <learner file name>
set -uo pipefail
dir=$1 file=$2
fail=0
need() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }
need "[ -s '$dir/README.md' ]" "$dir/README.md (the statement) is missing or empty"
need "grep -q '^## Hint 1' '$dir/hints.md' 2>/dev/null" "$dir/hints.md has no '## Hint 1'"
need "[ -f '$dir/solution/$file' ]" "$dir/solution/$file (the reference solution) is missing"
need "ls '$dir'/wrong/*.cpp >/dev/null 2>&1" "$dir/wrong/ has no known-wrong answer"
if [ "${QWEN3_EXERCISES_PRISTINE:-0}" = 1 ] || grep -q 'not_implemented(' "$dir/$file"; then
  need "grep -q 'TODO' '$dir/$file'" "$dir/$file has no TODO"
fi
[ $fail = 0 ] && echo "PASS: statement, TODO, hints, solution and known-wrong answers are there"
exit $fail
