// GGUF reader: one memory-mapped file, every count, length and offset checked before it is used.
//
// ---------------------------------------------------------------------------------------------------
// The file layout (GGUF v3, llama.cpp's docs/gguf.md "File Structure"; all numbers little-endian):
//
//   header      u32 magic  = 0x46554747 ("GGUF" in the file's first four bytes)
//               u32 version (3; 2 has the same layout)
//               u64 tensor_count
//               u64 metadata_kv_count
//   metadata    metadata_kv_count times:
//                 string key                      a string is u64 length + that many bytes (UTF-8, no NUL)
//                 u32    value type               GgufType: u8 i8 u16 i16 u32 i32 f32 bool string array u64 i64 f64
//                 value                           a scalar's bytes; a string; or an array:
//                                                   u32 element type, u64 count, count elements (arrays nest)
//   tensor info tensor_count times:
//                 string name                     at most 63 bytes ("blk.0.attn_q.weight")
//                 u32    n_dims                   at most 4
//                 u64    dims[n_dims]             ggml order: dims[0] varies fastest, so a torch [out, in]
//                                                 weight is stored with dims {in, out}
//                 u32    type                     ggml type number (core/quant.h: F32 0, F16 1, Q8_0 8, ...)
//                 u64    offset                   from the start of the data section; a multiple of the alignment
//   padding     zero bytes up to the next multiple of the alignment (metadata "general.alignment", u32, default 32)
//   data        each tensor's bytes at its offset: rows of dims[0] values, each row row_bytes(type, dims[0]) bytes
//               (whole blocks: Q8_0 rows hold dims[0]/32 blocks of 34 bytes), rows back to back
//
// Reading it is a walk with a cursor that never steps past the end: every length read from the file is compared
// with the bytes that remain before anything is allocated or copied, so a truncated or hostile file costs at most
// its own size in memory and ends in one FormatError naming the field or tensor.
// ---------------------------------------------------------------------------------------------------
#include "core/gguf.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.h"
#include "core/regular_file.h"

namespace qwen3 {
namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32

// 'name' in single quotes, control characters and bytes >= 0x7F escaped as \xNN so that a message stays on one
// printable line whatever the file holds; long names are cut at 80 bytes.
std::string quote(const std::string& s) {
  std::string q = "'";
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < s.size() && i < 80; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7F) {
      q += "\\x";
      q += hex[c >> 4];
      q += hex[c & 15];
    } else {
      q += static_cast<char>(c);
    }
  }
  if (s.size() > 80) q += "...";
  return q + "'";
}

bool known_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufType::F64); }

// The fewest bytes one array element of type t can take in the file (a string: its 8-byte length; an array: its
// 4-byte type and 8-byte count). Bounds an array's count by the bytes left before anything is allocated.
uint64_t min_element_size(GgufType t) {
  if (t == GgufType::STRING) return 8;
  if (t == GgufType::ARRAY) return 12;
  return gguf_scalar_size(t);
}

// A read position in the mapped bytes [p, end). Every read checks that the bytes are there; `field` names what is
// being read, for the error.
class Cursor {
 public:
  Cursor(const uint8_t* begin, const uint8_t* end, const std::string& path) : begin_(begin), p_(begin), end_(end), path_(path) {}

  uint64_t offset() const { return static_cast<uint64_t>(p_ - begin_); }
  uint64_t left() const { return static_cast<uint64_t>(end_ - p_); }
  const uint8_t* peek() const { return p_; }

  // n raw bytes.
  const uint8_t* bytes(uint64_t n, const std::string& field) {
    if (n > left())
      fail(field, "needs " + std::to_string(n) + " bytes at offset " + std::to_string(offset()) + " but only " +
                      std::to_string(left()) + " remain (truncated?)");
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  template <class T>
  T read(const std::string& field) {
    T v;
    std::memcpy(&v, bytes(sizeof(T), field), sizeof(T));  // little-endian host (x86, arm64)
    return v;
  }
  // u64 length + bytes.
  std::string string(const std::string& field) {
    const uint64_t n = read<uint64_t>(field + " (string length)");
    if (n > left())
      fail(field, "string length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(left()) +
                      " bytes left; truncated?)");
    const uint8_t* s = bytes(n, field);
    return std::string(reinterpret_cast<const char*>(s), n);
  }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw FormatError(path_ + ": " + field + ": " + what);
  }

 private:
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  const std::string& path_;
};

// Reads one value of type `type` (already read) at the cursor; `depth` counts enclosing arrays.
GgufValue read_value(Cursor& in, GgufType type, const std::string& field, int depth) {
  GgufValue v;
  v.type = type;
  if (type == GgufType::STRING) {
    v.str = in.string(field);
    return v;
  }
  if (type != GgufType::ARRAY) {
    const uint64_t n = gguf_scalar_size(type);
    std::memcpy(&v.bits, in.bytes(n, field), n);
    if (type == GgufType::BOOL && v.bits > 1) in.fail(field, "bool value " + std::to_string(v.bits) + " is neither 0 nor 1");
    return v;
  }
  if (depth >= kGgufMaxArrayDepth)
    in.fail(field, "arrays nested more than " + std::to_string(kGgufMaxArrayDepth) + " deep");
  const uint32_t elem = in.read<uint32_t>(field + " (array element type)");
  if (!known_type(elem)) in.fail(field, "array element type " + std::to_string(elem) + " is not a GGUF type (0..12)");
  v.elem_type = static_cast<GgufType>(elem);
  v.count = in.read<uint64_t>(field + " (array length)");
  if (v.count > in.left() / min_element_size(v.elem_type))
    in.fail(field, "array of " + std::to_string(v.count) + " " + gguf_type_name(v.elem_type) +
                       " elements runs past the end of the file (" + std::to_string(in.left()) + " bytes left; truncated?)");
  if (v.elem_type == GgufType::STRING) {
    v.strings.reserve(v.count);
    for (uint64_t k = 0; k < v.count; ++k) {
      // (the element's name is only built for an error: a vocabulary is 150,000 strings)
      if (in.left() < 8 || [&] { uint64_t n; std::memcpy(&n, in.peek(), 8); return n > in.left() - 8; }())
        in.fail(field + "[" + std::to_string(k) + "]", "string runs past the end of the file (truncated?)");
      v.strings.push_back(in.string(field));
    }
  } else if (v.elem_type == GgufType::ARRAY) {
    v.arrays.reserve(v.count);
    for (uint64_t k = 0; k < v.count; ++k)
      v.arrays.push_back(read_value(in, GgufType::ARRAY, field + "[" + std::to_string(k) + "]", depth + 1));
  } else {
    const uint64_t n = v.count * gguf_scalar_size(v.elem_type);  // <= left, checked above
    const uint8_t* p = in.bytes(n, field);
    v.raw.assign(p, p + n);
    if (v.elem_type == GgufType::BOOL)
      for (uint64_t k = 0; k < v.count; ++k)
        if (v.raw[k] > 1) in.fail(field + "[" + std::to_string(k) + "]", "bool value is neither 0 nor 1");
  }
  return v;
}

}  // namespace

const char* gguf_type_name(GgufType t) {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "unknown type";
}

uint64_t gguf_scalar_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

// ---- GgufValue ------------------------------------------------------------------------------------------

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
  }
}

// The integer in `bits`, sign-extended for the signed types.
static int64_t signed_value(GgufType t, uint64_t bits) {
  switch (t) {
    case GgufType::I8: return static_cast<int8_t>(bits);
    case GgufType::I16: return static_cast<int16_t>(bits);
    case GgufType::I32: return static_cast<int32_t>(bits);
    case GgufType::I64: return static_cast<int64_t>(bits);
    default: return 0;
  }
}

static bool is_signed(GgufType t) {
  return t == GgufType::I8 || t == GgufType::I16 || t == GgufType::I32 || t == GgufType::I64;
}

uint64_t GgufValue::as_uint() const {
  if (!is_integer()) throw FormatError(std::string("a ") + gguf_type_name(type) + " is not an integer");
  if (is_signed(type)) {
    const int64_t s = signed_value(type, bits);
    if (s < 0) throw FormatError("value " + std::to_string(s) + " is negative");
    return static_cast<uint64_t>(s);
  }
  return bits;
}

int64_t GgufValue::as_int() const {
  if (!is_integer()) throw FormatError(std::string("a ") + gguf_type_name(type) + " is not an integer");
  if (is_signed(type)) return signed_value(type, bits);
  if (bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw FormatError("value " + std::to_string(bits) + " does not fit int64");
  return static_cast<int64_t>(bits);
}

double GgufValue::as_float() const {
  if (type == GgufType::F32) {
    float f;
    const uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&f, &b, 4);
    return f;
  }
  if (type == GgufType::F64) {
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  throw FormatError(std::string("a ") + gguf_type_name(type) + " is not a float");
}

int64_t GgufValue::int_at(uint64_t k) const {
  const uint64_t size = gguf_scalar_size(elem_type);
  if (type != GgufType::ARRAY || size == 0 || k >= count) throw FormatError("element " + std::to_string(k) + " out of range");
  GgufValue e;
  e.type = elem_type;
  std::memcpy(&e.bits, raw.data() + k * size, size);
  return e.as_int();
}

GgufValue GgufValue::u32(uint32_t v) { GgufValue g; g.type = GgufType::U32; g.bits = v; return g; }
GgufValue GgufValue::i32(int32_t v) { GgufValue g; g.type = GgufType::I32; g.bits = static_cast<uint32_t>(v); return g; }
GgufValue GgufValue::u64(uint64_t v) { GgufValue g; g.type = GgufType::U64; g.bits = v; return g; }
GgufValue GgufValue::f32(float v) {
  GgufValue g;
  g.type = GgufType::F32;
  uint32_t b;
  std::memcpy(&b, &v, 4);
  g.bits = b;
  return g;
}
GgufValue GgufValue::boolean(bool v) { GgufValue g; g.type = GgufType::BOOL; g.bits = v ? 1 : 0; return g; }
GgufValue GgufValue::string(std::string v) { GgufValue g; g.type = GgufType::STRING; g.str = std::move(v); return g; }
GgufValue GgufValue::string_array(std::vector<std::string> v) {
  GgufValue g;
  g.type = GgufType::ARRAY;
  g.elem_type = GgufType::STRING;
  g.count = v.size();
  g.strings = std::move(v);
  return g;
}
GgufValue GgufValue::i32_array(const std::vector<int32_t>& v) {
  GgufValue g;
  g.type = GgufType::ARRAY;
  g.elem_type = GgufType::I32;
  g.count = v.size();
  g.raw.resize(v.size() * 4);
  if (!v.empty()) std::memcpy(g.raw.data(), v.data(), g.raw.size());
  return g;
}
GgufValue GgufValue::array_of_arrays(GgufType elem_of_elems, std::vector<GgufValue> v) {
  GgufValue g;
  g.type = GgufType::ARRAY;
  g.elem_type = GgufType::ARRAY;
  g.count = v.size();
  for (const GgufValue& e : v)
    if (e.type != GgufType::ARRAY || e.elem_type != elem_of_elems) throw InputError("array_of_arrays: mixed element types");
  g.arrays = std::move(v);
  return g;
}

// ---- GgufTensor -----------------------------------------------------------------------------------------

std::vector<int64_t> GgufTensor::shape() const { return std::vector<int64_t>(dims.rbegin(), dims.rend()); }

int64_t GgufTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // overflow ruled out when the file was opened
  return n;
}

// ---- GgufFile -------------------------------------------------------------------------------------------

// Maps `path` read-only and validates it (see the layout above). The mapping stays until the destructor; every
// GgufTensor's data points into it.
GgufFile::GgufFile(const std::string& path) : path_(path) {
  // 1. Open, size and map the file (as SafetensorsFile does: read-only, private, the descriptor closed after).
  //    (RegularFile: a FIFO or a device is refused before anything waits on it.)
  const RegularFile file(path, "GGUF file");
  const uint64_t size = file.size();
  if (size < 24)
    throw FormatError(path + ": header: file is truncated (" + std::to_string(size) +
                      " bytes; a GGUF header is 24: magic, version, tensor count, metadata count)");
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd(), 0);
  if (m == MAP_FAILED) throw IoError("cannot map " + path + ": " + std::strerror(errno));
  map_ = m;
  map_size_ = size;

  try {
    const uint8_t* base = static_cast<const uint8_t*>(map_);
    Cursor in(base, base + size, path_);

    // 2. Header.
    const uint32_t magic = in.read<uint32_t>("header");
    if (magic != kGgufMagic) in.fail("header", "does not start with the magic \"GGUF\" (not a GGUF file)");
    version_ = in.read<uint32_t>("header");
    if (version_ == 0x03000000 || version_ == 0x02000000)
      in.fail("header", "is a big-endian GGUF file (only little-endian files are read)");
    if (version_ != 2 && version_ != 3)
      in.fail("header", "version " + std::to_string(version_) + " is not supported (this reader knows 2 and 3)");
    const uint64_t tensor_count = in.read<uint64_t>("header");
    const uint64_t kv_count = in.read<uint64_t>("header");
    // A key-value pair takes at least 13 bytes (8 key length, 4 type, 1 value), a tensor info 24 (8 name
    // length, 4 n_dims, 4 type, 8 offset): counts that could not fit in what is left are refused before any loop.
    if (kv_count > in.left() / 13)
      in.fail("header", "metadata count " + std::to_string(kv_count) + " cannot fit in the " +
                            std::to_string(in.left()) + " bytes that follow (truncated or corrupt)");
    if (tensor_count > in.left() / 24)
      in.fail("header", "tensor count " + std::to_string(tensor_count) + " cannot fit in the " +
                            std::to_string(in.left()) + " bytes that follow (truncated or corrupt)");

    // 3. Metadata.
    metadata_.reserve(kv_count);
    for (uint64_t k = 0; k < kv_count; ++k) {
      const std::string which = "metadata entry " + std::to_string(k);
      std::string key = in.string(which + " key");
      if (key.empty()) in.fail(which, "has an empty key");
      const std::string field = "metadata key " + quote(key);
      if (key_index_.count(key)) in.fail(field, "appears twice");
      const uint32_t type = in.read<uint32_t>(field + " (value type)");
      if (!known_type(type)) in.fail(field, "value type " + std::to_string(type) + " is not a GGUF type (0..12)");
      GgufValue v = read_value(in, static_cast<GgufType>(type), field, 0);
      key_index_.emplace(key, metadata_.size());
      metadata_.emplace_back(std::move(key), std::move(v));
    }
    if (const GgufValue* a = find("general.alignment")) {
      const std::string field = "metadata key 'general.alignment'";
      if (a->type != GgufType::U32) in.fail(field, std::string("is a ") + gguf_type_name(a->type) + ", not a u32");
      alignment_ = a->bits;
      if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
        in.fail(field, std::to_string(alignment_) + " is not a power of two");
    }

    // 4. Tensor infos.
    tensors_.reserve(tensor_count);
    for (uint64_t k = 0; k < tensor_count; ++k) {
      GgufTensor t;
      t.name = in.string("tensor info " + std::to_string(k) + " name");
      const std::string field = "tensor " + quote(t.name);
      if (t.name.empty()) in.fail("tensor info " + std::to_string(k), "has an empty name");
      if (t.name.size() > kGgufMaxNameLength)
        in.fail(field, "name is " + std::to_string(t.name.size()) + " bytes (at most " +
                           std::to_string(kGgufMaxNameLength) + ")");
      if (tensor_index_.count(t.name)) in.fail(field, "appears twice");
      const uint32_t n_dims = in.read<uint32_t>(field + " (n_dims)");
      if (n_dims == 0 || n_dims > kGgufMaxDims)
        in.fail(field, "n_dims " + std::to_string(n_dims) + " is not 1.." + std::to_string(kGgufMaxDims));
      uint64_t numel = 1;
      for (uint32_t d = 0; d < n_dims; ++d) {
        const uint64_t dim = in.read<uint64_t>(field + " (dims)");
        if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          in.fail(field, "dimension " + std::to_string(d) + " is " + std::to_string(dim) + " (must be 1..2^63-1)");
        if (__builtin_mul_overflow(numel, dim, &numel) || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          in.fail(field, "has more elements than int64 can count (the product of its dimensions overflows)");
        t.dims.push_back(static_cast<int64_t>(dim));
      }
      const uint32_t type = in.read<uint32_t>(field + " (type)");
      if (!is_supported_type(type))
        in.fail(field, "type " + std::to_string(type) +
                           " is not one this project reads (F32 0, F16 1, Q8_0 8, Q4_K 12, Q6_K 14, BF16 30)");
      t.type = static_cast<GgmlType>(type);
      t.offset = in.read<uint64_t>(field + " (offset)");
      // Bytes: whole blocks per row, then rows * the other dimensions, each product checked.
      const BlockFormat f = block_format(t.type);
      if (t.dims[0] % f.block_values != 0)
        in.fail(field, "rows of " + std::to_string(t.dims[0]) + " values are not a whole number of " + f.name +
                           " blocks (" + std::to_string(f.block_values) + " values each)");
      uint64_t nbytes = static_cast<uint64_t>(t.dims[0] / f.block_values);
      bool overflow = __builtin_mul_overflow(nbytes, static_cast<uint64_t>(f.block_bytes), &nbytes);
      for (size_t d = 1; d < t.dims.size() && !overflow; ++d)
        overflow = __builtin_mul_overflow(nbytes, static_cast<uint64_t>(t.dims[d]), &nbytes);
      if (overflow) in.fail(field, "byte size overflows (dimensions too large)");
      t.nbytes = nbytes;
      tensor_index_.emplace(t.name, tensors_.size());
      tensors_.push_back(std::move(t));
    }

    // 5. The data section starts at the next multiple of the alignment.
    const uint64_t infos_end = in.offset();
    const uint64_t pad = (alignment_ - infos_end % alignment_) % alignment_;
    data_offset_ = infos_end + pad;
    if (data_offset_ > size && !tensors_.empty())
      throw FormatError(path_ + ": data section: starts at " + std::to_string(data_offset_) + ", past the end of the file (" +
                        std::to_string(size) + " bytes; truncated?)");
    const uint64_t data_size = data_offset_ <= size ? size - data_offset_ : 0;

    // 6. Each tensor: aligned, inside the data section.
    for (GgufTensor& t : tensors_) {
      const std::string field = "tensor " + quote(t.name);
      if (t.offset % alignment_ != 0)
        in.fail(field, "offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                           std::to_string(alignment_) + " (misaligned data)");
      if (t.offset > data_size || t.nbytes > data_size - t.offset)
        in.fail(field, "data [" + std::to_string(t.offset) + ", " + std::to_string(t.offset) + " + " +
                           std::to_string(t.nbytes) + ") runs past the end of the data section (" +
                           std::to_string(data_size) + " bytes; truncated?)");
      t.data = base + data_offset_ + t.offset;
    }

    // 7. No two tensors share a byte: sorted by offset, each must start at or after the previous one's end.
    std::vector<const GgufTensor*> by_offset;
    for (const GgufTensor& t : tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
      const GgufTensor& a = *by_offset[i - 1];
      const GgufTensor& b = *by_offset[i];
      if (b.offset < a.offset + a.nbytes)
        throw FormatError(path_ + ": tensors " + quote(a.name) + " [" + std::to_string(a.offset) + ", " +
                          std::to_string(a.offset + a.nbytes) + ") and " + quote(b.name) + " [" +
                          std::to_string(b.offset) + ", " + std::to_string(b.offset + b.nbytes) + ") overlap");
    }
  } catch (...) {
    ::munmap(map_, map_size_);  // the destructor does not run when the constructor throws
    map_ = nullptr;
    throw;
  }
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, map_size_);
}

const GgufValue* GgufFile::find(const std::string& key) const {
  const auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensor* GgufFile::find_tensor(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

// The value of `key`, or a FormatError saying it is missing.
static const GgufValue& require_key(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v) throw FormatError(f.path() + ": metadata key " + quote(key) + " is missing");
  return *v;
}

std::string GgufFile::require_string(const std::string& key) const {
  const GgufValue& v = require_key(*this, key);
  if (v.type != GgufType::STRING)
    throw FormatError(path_ + ": metadata key " + quote(key) + " is a " + gguf_type_name(v.type) + ", not a string");
  return v.str;
}

uint64_t GgufFile::require_uint(const std::string& key) const {
  const GgufValue& v = require_key(*this, key);
  if (!v.is_integer())
    throw FormatError(path_ + ": metadata key " + quote(key) + " is a " + gguf_type_name(v.type) + ", not an integer");
  try {
    return v.as_uint();
  } catch (const FormatError& e) {
    throw FormatError(path_ + ": metadata key " + quote(key) + ": " + e.what());
  }
}

double GgufFile::require_float(const std::string& key) const {
  const GgufValue& v = require_key(*this, key);
  if (!v.is_float())
    throw FormatError(path_ + ": metadata key " + quote(key) + " is a " + gguf_type_name(v.type) + ", not a float");
  return v.as_float();
}

const GgufValue& GgufFile::require_array(const std::string& key, GgufType elem_type) const {
  const GgufValue& v = require_key(*this, key);
  if (v.type != GgufType::ARRAY)
    throw FormatError(path_ + ": metadata key " + quote(key) + " is a " + gguf_type_name(v.type) + ", not an array");
  if (v.elem_type != elem_type)
    throw FormatError(path_ + ": metadata key " + quote(key) + " is an array of " + gguf_type_name(v.elem_type) +
                      ", not of " + gguf_type_name(elem_type));
  return v;
}

}  // namespace qwen3
