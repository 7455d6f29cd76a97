// What an exercise's untouched file calls: it throws NotImplemented, whose message tells the learner which file
// to edit and gives a first hint. The exercise's test program (exercise_main.cpp) turns it into one clear line
// and exit status 2; the exercise backend (exercise_backend.h) takes it as "not written yet: use the reference".
#pragma once
#include <stdexcept>
#include <string>

namespace qwen3::exercises {

// "exercise 03_rms_norm: not implemented yet — edit exercises/03_rms_norm/rms_norm.cpp (hint: ...)"
class NotImplemented : public std::logic_error {
 public:
  NotImplemented(const std::string& exercise, const std::string& message)
      : std::logic_error(message), exercise_(exercise) {}
  const std::string& exercise() const { return exercise_; }

 private:
  std::string exercise_;
};

// exercise: "03_rms_norm", file: the file to edit inside the exercise's folder, hint: one line to start from.
[[noreturn]] void not_implemented(const char* exercise, const char* file, const char* hint);

// The message of the first NotImplemented thrown in this process ("" if none): the test program prints it last.
std::string first_not_implemented();

}  // namespace qwen3::exercises
