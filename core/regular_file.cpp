// Regular files only (core/regular_file.h).
#include "core/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace qwen3 {

std::string file_kind(unsigned mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "a regular file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "not a regular file";
  }
}

RegularFile::RegularFile(const std::string& path, const std::string& what) : path_(path), what_(what) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) throw IoError("cannot open " + what + " " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw IoError("cannot stat " + what + " " + path + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw IoError(what + " " + path + " is " + file_kind(st.st_mode) + ", not a regular file");
  }
  // A regular file ignores O_NONBLOCK; cleared all the same, so that reads behave as plain reads.
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  size_ = static_cast<uint64_t>(st.st_size);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string RegularFile::read_all(uint64_t max_bytes) {
  std::string content;
  char buf[1 << 16];
  for (;;) {
    const ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw IoError("cannot read " + what_ + " " + path_ + ": " + std::strerror(errno));
    }
    if (got == 0) return content;
    if (content.size() + static_cast<uint64_t>(got) > max_bytes) {
      throw IoError(what_ + " " + path_ + " is larger than the limit of " + std::to_string(max_bytes >> 20) + " MiB");
    }
    content.append(buf, static_cast<size_t>(got));
  }
}

void require_directory(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw IoError(what + " " + path + " does not exist");
    throw IoError("cannot stat " + what + " " + path + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) throw IoError(what + " " + path + " is " + file_kind(st.st_mode) + ", not a directory");
}

std::string read_regular_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  return RegularFile(path, what).read_all(max_bytes);
}

}  // namespace qwen3
