// GGUF writer (the layout is drawn at the head of core/gguf.cpp). Tensors are encoded one row at a time while
// the file is written, so a model is never held twice in memory.
#include "core/gguf_write.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace qwen3 {
namespace {

class Out {
 public:
  explicit Out(const std::string& path) : path_(path), f_(path, std::ios::binary | std::ios::trunc) {
    if (!f_) throw IoError("cannot write " + path + ": " + std::strerror(errno));
  }
  void bytes(const void* p, size_t n) {
    f_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
    written_ += n;
    if (!f_) throw IoError("cannot write " + path_ + ": " + std::strerror(errno));
  }
  template <class T>
  void pod(T v) { bytes(&v, sizeof v); }  // little-endian host
  void string(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void pad_to(uint64_t alignment) {
    static const char zeros[64] = {};
    uint64_t pad = (alignment - written_ % alignment) % alignment;
    while (pad > 0) {
      const uint64_t n = pad < sizeof zeros ? pad : sizeof zeros;
      bytes(zeros, n);
      pad -= n;
    }
  }
  uint64_t written() const { return written_; }
  void close() {
    f_.close();
    if (!f_) throw IoError("cannot write " + path_ + ": " + std::strerror(errno));
  }

 private:
  std::string path_;
  std::ofstream f_;
  uint64_t written_ = 0;
};

// A value without its type tag (the caller writes the tag: a key-value pair's, or an array's element type once).
void write_value(Out& out, const GgufValue& v) {
  if (v.type == GgufType::STRING) return out.string(v.str);
  if (v.type != GgufType::ARRAY) return out.bytes(&v.bits, gguf_scalar_size(v.type));
  out.pod<uint32_t>(static_cast<uint32_t>(v.elem_type));
  out.pod<uint64_t>(v.count);
  if (v.elem_type == GgufType::STRING) {
    if (v.strings.size() != v.count) throw InputError("GGUF writer: string array count disagrees with its elements");
    for (const std::string& s : v.strings) out.string(s);
  } else if (v.elem_type == GgufType::ARRAY) {
    if (v.arrays.size() != v.count) throw InputError("GGUF writer: array count disagrees with its elements");
    for (const GgufValue& a : v.arrays) write_value(out, a);
  } else {
    if (v.raw.size() != v.count * gguf_scalar_size(v.elem_type))
      throw InputError("GGUF writer: array count disagrees with its bytes");
    out.bytes(v.raw.data(), v.raw.size());
  }
}

// Rows (the product of every dimension but the last) and the encoded size of a tensor; InputError naming it when
// it cannot be written.
struct Extent {
  int64_t rows;
  int64_t row_bytes;
};
Extent extent(const GgufTensorToWrite& t) {
  const std::string who = "GGUF writer: tensor '" + t.name + "': ";
  if (t.name.empty() || t.name.size() > kGgufMaxNameLength) throw InputError(who + "name must be 1..63 bytes");
  if (t.shape.empty() || t.shape.size() > kGgufMaxDims) throw InputError(who + "needs 1..4 dimensions");
  if ((t.values == nullptr) == (t.encoded == nullptr)) throw InputError(who + "give either values or encoded bytes");
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < t.shape.size(); ++d) {
    if (t.shape[d] <= 0 || __builtin_mul_overflow(rows, t.shape[d], &rows)) throw InputError(who + "bad shape");
  }
  const int64_t n = t.shape.back();
  const BlockFormat f = block_format(t.type);
  if (n <= 0 || n % f.block_values != 0)
    throw InputError(who + "rows of " + std::to_string(n) + " values are not a whole number of " + f.name +
                     " blocks (" + std::to_string(f.block_values) + " values each)");
  return Extent{rows, row_bytes(t.type, n)};
}

}  // namespace

void write_gguf(const std::string& path, const std::vector<std::pair<std::string, GgufValue>>& metadata,
                const std::vector<GgufTensorToWrite>& tensors) {
  for (const auto& [key, value] : metadata)
    if (key == "general.alignment" && !(value.type == GgufType::U32 && value.bits == kGgufDefaultAlignment))
      throw InputError("GGUF writer: only general.alignment = 32 (u32) is written");
  std::vector<Extent> extents;
  for (const GgufTensorToWrite& t : tensors) extents.push_back(extent(t));

  Out out(path);
  // Header.
  out.pod<uint32_t>(0x46554747);  // "GGUF"
  out.pod<uint32_t>(3);
  out.pod<uint64_t>(tensors.size());
  out.pod<uint64_t>(metadata.size());
  // Metadata.
  for (const auto& [key, value] : metadata) {
    out.string(key);
    out.pod<uint32_t>(static_cast<uint32_t>(value.type));
    write_value(out, value);
  }
  // Tensor infos: dims in ggml order (the shape reversed), offsets packed one after another, each aligned.
  uint64_t offset = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const GgufTensorToWrite& t = tensors[k];
    out.string(t.name);
    out.pod<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d) out.pod<uint64_t>(static_cast<uint64_t>(*d));
    out.pod<uint32_t>(static_cast<uint32_t>(t.type));
    out.pod<uint64_t>(offset);
    const uint64_t nbytes = static_cast<uint64_t>(extents[k].rows) * static_cast<uint64_t>(extents[k].row_bytes);
    offset += nbytes + (kGgufDefaultAlignment - nbytes % kGgufDefaultAlignment) % kGgufDefaultAlignment;
  }
  // Data: each tensor at the next multiple of 32 from the file's start (the data section starts aligned too).
  out.pad_to(kGgufDefaultAlignment);
  for (size_t k = 0; k < tensors.size(); ++k) {
    const GgufTensorToWrite& t = tensors[k];
    const Extent e = extents[k];
    if (t.encoded) {
      out.bytes(t.encoded, static_cast<size_t>(e.rows * e.row_bytes));
    } else {
      // A chunk of rows at a time, quantised on every core (core/quant.h), written in order.
      const int64_t n = t.shape.back(), chunk = 4096;
      for (int64_t r0 = 0; r0 < e.rows; r0 += chunk) {
        const std::vector<uint8_t> rows = quantize_rows(t.type, t.values + r0 * n, std::min(chunk, e.rows - r0), n);
        out.bytes(rows.data(), rows.size());
      }
    }
    out.pad_to(kGgufDefaultAlignment);
  }
  out.close();
}

}  // namespace qwen3
