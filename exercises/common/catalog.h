// The exercises, in learning order, as `qwen3emb exercise` lists them, and where this build keeps their sources and
// test programs. Generated at configure time from the qwen3_exercise() lines of exercises/CMakeLists.txt.
#pragma once
#include <span>
#include <string>

namespace qwen3::exercises {

struct ExerciseInfo {
  const char* name;   // "03_rms_norm": the folder exercises/03_rms_norm/
  const char* file;   // the one file the learner edits, inside that folder: "rms_norm.cpp"
  int wrong_answers;  // known-wrong answers in wrong/
  bool in_model;      // plugs into the forward pass (--backend exercise, compare --ops)
};

std::span<const ExerciseInfo> catalog();
// nullptr when no exercise has that name.
const ExerciseInfo* find_exercise(const std::string& name);
// The checkout and the build folder this program was built from and into.
std::string source_dir();
std::string build_dir();
// The exercise whose function computes a recorded op ("layer 3 / q_rope" -> "04_rope"); "" for ops no exercise
// writes (the matrix products, the residual additions).
std::string exercise_for_op(const std::string& op_name);

}  // namespace qwen3::exercises
