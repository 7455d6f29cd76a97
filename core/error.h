// Typed errors. Every function that reads a file or user input throws one of these with a message
// that names the file, the tensor or the field; the CLI's main prints it on one line and exits 1.
#pragma once
#include <stdexcept>
#include <string>

namespace qwen3 {

// Base of every error the project throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A file or directory is missing or cannot be read/mapped.
class IoError : public Error {
 public:
  using Error::Error;
};

// A file's content is malformed: not JSON, a field missing, a header inconsistent with the file.
class FormatError : public Error {
 public:
  using Error::Error;
};

// A tensor's shape disagrees with the config, or a tensor is missing.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// The user asked for something impossible: a bad option value, an empty batch, a sequence too long.
class InputError : public Error {
 public:
  using Error::Error;
};

}  // namespace qwen3
