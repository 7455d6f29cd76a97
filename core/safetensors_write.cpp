// safetensors writer. The layout it produces (see safetensors.cpp for the full description):
//
//   [u64 LE header length N][N bytes: {"__metadata__":{"format":"pt",...},"t0":{...},"t1":{...},...} + spaces]
//   [t0's bytes][t1's bytes]...
//
// N is a multiple of 8, so the data section starts 8-byte aligned in the file; tensors follow each other
// with no gaps, in the caller's order, so the last tensor ends exactly at the end of the file. Those are
// the rules Hugging Face's own loader checks (it rejects gaps, overlaps and trailing bytes).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/safetensors.h"

namespace qwen3 {
namespace {

using ordered_json = nlohmann::ordered_json;

// Writes all of buf to fd, retrying short writes and EINTR. False (errno set) on failure.
bool write_all(int fd, const void* buf, size_t n) {
  const char* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The temporary file PATH.tmp: closed, and removed unless committed, when it goes out of scope.
struct TmpFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TmpFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

}  // namespace

// Writes `tensors` (converted from f32 to each one's dtype) to `path`: header first, data after, as laid out
// above. The bytes go to PATH.tmp, which is flushed to disk and then renamed over PATH, so PATH is either
// the old file or the complete new one, never half written. Bad input (empty/duplicate/reserved name,
// negative dimension, missing values) -> InputError; a file that cannot be written -> IoError.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // 1. The header, in a fixed key order: "__metadata__" ("format" first, then the caller's keys sorted),
  //    then the tensors in the caller's order, each with its byte range in the data section.
  ordered_json meta = ordered_json::object();
  meta["format"] = "pt";
  for (const auto& [k, v] : metadata) meta[k] = v;  // a caller's "format" replaces "pt" in place
  ordered_json header = ordered_json::object();
  header["__metadata__"] = meta;

  std::set<std::string> names;
  std::vector<size_t> numels;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    const std::string where = path + ": tensor '" + t.name + "': ";
    if (t.name.empty() || t.name == "__metadata__")
      throw InputError(path + ": tensor name '" + t.name + "' is reserved or empty");
    if (!names.insert(t.name).second) throw InputError(where + "written twice");
    if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::F16)
      throw InputError(where + "unknown dtype");
    // numel and bytes, guarding overflow; a 0 anywhere in the shape means no elements.
    uint64_t numel = 1;
    bool overflow = false;
    for (int64_t d : t.shape) {
      if (d < 0) throw InputError(where + "negative dimension in its shape");
      overflow |= __builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel);
    }
    if (std::find(t.shape.begin(), t.shape.end(), 0) != t.shape.end()) numel = 0, overflow = false;
    uint64_t nbytes = 0, end = 0;
    if (overflow || __builtin_mul_overflow(numel, dtype_size(t.dtype), &nbytes) ||
        __builtin_add_overflow(offset, nbytes, &end))
      throw InputError(where + "shape is too large (numel * dtype size overflows)");
    if (numel > 0 && t.values == nullptr) throw InputError(where + "values is null");
    ordered_json entry = ordered_json::object();
    entry["dtype"] = dtype_name(t.dtype);
    entry["shape"] = t.shape;
    entry["data_offsets"] = {offset, end};
    header[t.name] = std::move(entry);
    numels.push_back(static_cast<size_t>(numel));
    offset = end;
  }

  // 2. Serialise compactly and pad with spaces so that 8 + N is a multiple of 8.
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": cannot encode the header (" + e.what() + "); tensor names must be valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));

  // 3. Write PATH.tmp: length, header, then each tensor converted in chunks (no full copy of big tensors).
  TmpFile tmp;
  tmp.path = path + ".tmp";
  const auto fail = [&](const std::string& what) {
    throw IoError("cannot " + what + " " + tmp.path + ": " + std::strerror(errno));
  };
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (tmp.fd < 0) {
    tmp.committed = true;  // nothing was created: nothing to remove (and never remove someone else's file)
    fail("create");
  }
  if (!write_all(tmp.fd, len, 8) || !write_all(tmp.fd, text.data(), text.size())) fail("write");
  constexpr size_t kChunk = 1 << 16;  // elements converted per write
  std::vector<uint16_t> half(kChunk);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorToWrite& t = tensors[i];
    const size_t n = numels[i];
    if (t.dtype == DType::F32) {  // host floats are little-endian IEEE (static_assert in dtype.cpp)
      if (n && !write_all(tmp.fd, t.values, n * sizeof(float))) fail("write");
      continue;
    }
    for (size_t start = 0; start < n; start += kChunk) {
      const size_t m = std::min(kChunk, n - start);
      for (size_t j = 0; j < m; ++j)
        half[j] = t.dtype == DType::BF16 ? f32_to_bf16(t.values[start + j]) : f32_to_f16(t.values[start + j]);
      if (!write_all(tmp.fd, half.data(), m * sizeof(uint16_t))) fail("write");
    }
  }

  // 4. Flush to disk, close, and atomically replace PATH.
  if (::fsync(tmp.fd) != 0) fail("flush");
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail("close");
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    throw IoError("cannot rename " + tmp.path + " to " + path + ": " + std::strerror(errno));
  tmp.committed = true;
}

}  // namespace qwen3
