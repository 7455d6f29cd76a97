// The main of every exercise's test program (exercise_NN_name): runs the exercise's GoogleTest checks and ends
// with one verdict line that the learner, `qwen3emb exercise check` and CI read:
//   exit 0  "exercise NN_name: PASSED (k checks)"
//   exit 2  "exercise NN_name: not implemented yet — edit exercises/NN_name/<file> (hint: ...)"
//   exit 1  "exercise NN_name: FAILED (j of k checks) — the first failure above says what differs"
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "exercises/common/todo.h"

#ifndef QWEN3_EXERCISE_NAME
#error "QWEN3_EXERCISE_NAME must name the exercise (exercises/CMakeLists.txt sets it)"
#endif

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const int status = RUN_ALL_TESTS();
  const testing::UnitTest& run = *testing::UnitTest::GetInstance();
  const std::string todo = qwen3::exercises::first_not_implemented();
  std::fflush(stdout);
  if (!todo.empty()) {
    std::fprintf(stderr, "%s\n", todo.c_str());
    return 2;
  }
  if (status != 0 || run.failed_test_count() > 0) {
    std::fprintf(stderr, "exercise %s: FAILED (%d of %d checks) — the first failure above says what differs\n",
                 QWEN3_EXERCISE_NAME, run.failed_test_count(), run.test_to_run_count());
    return 1;
  }
  std::fprintf(stderr, "exercise %s: PASSED (%d checks)\n", QWEN3_EXERCISE_NAME, run.successful_test_count());
  return 0;
}
