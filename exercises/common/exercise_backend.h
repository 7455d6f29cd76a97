// `--backend exercise`: the CPU reference's forward pass (ref_cpu/cpu_backend.cpp) run with a second op table
// (ref_cpu/op_table.h) that holds every op the learner has written and the reference's for the rest. An op counts
// as written once it stops throwing NotImplemented (exercises/common/todo.h): the first call that throws switches
// that op to the reference for good.
//
// For `qwen3emb compare --backends cpu,exercise --ops` it also
//   - isolates (ExerciseOptions::isolate): each learner op is fed the reference's input, the pass goes on with the
//     reference's output, and the learner's output is what gets recorded, so one bug shows as one failing row;
//   - diagnoses: where the learner's op differs from the reference on the same input, it runs the exercise's
//     known-wrong answers on that input too, and names the one whose output the learner's equals.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/weights.h"
#include "exercises/common/registry.h"

namespace qwen3::exercises {

struct ExerciseOptions {
  Kind kind = Kind::learner;  // whose answers fill the table: the learner's, or the reference solutions'
  std::string wrong_file;     // tests: put this known-wrong answer ("exercises/04_rope/wrong/x.cpp") in its slot
  bool isolate = false;
  bool diagnose = true;
};

// What the last forward pass did with the learner's ops.
struct ExerciseReport {
  std::vector<std::string> learner_ops;    // slots the learner's answer ran in ("rms_norm", "apply_rope", ...)
  std::vector<std::string> reference_ops;  // slots that fell back to the reference (not written yet)
  // op name ("layer 0 / q_rope", or "pooling") -> "<mistake> (exercises/04_rope/wrong/x.cpp)": the known-wrong
  // answer whose output the learner's equals there, where the learner's differs from the reference.
  std::map<std::string, std::string> looks_like;
};

class ExerciseBackend final : public Backend {
 public:
  ExerciseBackend(const ModelConfig& config, HostWeights weights, ExerciseOptions options = {});
  ~ExerciseBackend() override;
  std::string name() const override { return "exercise"; }
  const ModelConfig& config() const override;
  ForwardOutput forward(const Batch& batch, const ForwardOptions& options = {}) override;
  const ExerciseReport& report() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<Backend> cpu_;
};

}  // namespace qwen3::exercises
