// Every compiled answer to an exercise that plugs into the forward pass (an exercise with a SLOT in
// exercises/CMakeLists.txt): the learner's, the reference solution and each known-wrong answer, each compiled in a
// namespace of its own so they link side by side. exercise_backend.cpp builds op tables from them; the list is
// generated at configure time (exercises/common/registry.cpp.in).
#pragma once
#include <span>

#include "ref_cpu/op_table.h"

namespace qwen3::exercises {

enum class Kind { learner, solution, wrong };

struct Variant {
  const char* exercise;  // "04_rope"
  const char* slot;      // the OpTable member it fills: "apply_rope"
  Kind kind;
  const char* file;      // "exercises/04_rope/wrong/interleaved_pairs.cpp"
  const char* mistake;   // a wrong answer's "// mistake: ..." line; "" otherwise
  void (*bind)(cpu::OpTable& table);  // table.<slot> = this answer's function
};

std::span<const Variant> variants();

}  // namespace qwen3::exercises
