// Opening and reading the files a model directory holds, refusing anything that is not a regular file (a
// directory, a FIFO, a device such as /dev/zero, a socket) before a byte is read: such a "file" could block the
// open or the read forever (a FIFO without a writer) or never end (/dev/zero). Files whose size reads as 0 but that
// hold data (/proc's) are read to their end, never sized by st_size.
#pragma once
#include <cstdint>
#include <string>

namespace qwen3 {

// An open, read-only descriptor of a regular file, closed by the destructor.
class RegularFile {
 public:
  // Opens `path` without blocking (O_NONBLOCK: a FIFO's open does not wait for a writer), then refuses it unless
  // fstat says it is a regular file. IoError: "WHAT PATH is a FIFO, not a regular file", or cannot be opened.
  RegularFile(const std::string& path, const std::string& what);
  ~RegularFile();
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }  // st_size at open (0 for /proc's files)
  // The whole file, read to its end; IoError past `max_bytes`, naming the limit.
  std::string read_all(uint64_t max_bytes);

 private:
  std::string path_, what_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// RegularFile(path, what).read_all(max_bytes): the JSON files' reader (config.json, tokenizer.json, the shard
// index). `what` names the file in messages, e.g. "tokenizer file".
std::string read_regular_file(const std::string& path, const std::string& what, uint64_t max_bytes);

// Throws IoError unless `path` is a directory (after symbolic links): "WHAT PATH does not exist" or
// "WHAT PATH is a character device, not a directory".
void require_directory(const std::string& path, const std::string& what);

// What a file system entry is, for messages: "a directory", "a FIFO", "a character device", ...
std::string file_kind(unsigned mode);

}  // namespace qwen3
