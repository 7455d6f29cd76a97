// GGUF reader (memory-mapped): the checkpoint format of llama.cpp and Ollama, the project's second one beside
// safetensors. The layout is drawn at the head of core/gguf.cpp; the writer is core/gguf_write.h; the Qwen3 view of
// a file (config, tensor names, tokenizer) is core/gguf_model.h; the block formats of its tensors are core/quant.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/quant.h"

namespace qwen3 {

// The type tag of a metadata value, as the file stores it (u32).
enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
const char* gguf_type_name(GgufType t);  // "u32", "string", "array", ...; "type N" for an unknown tag
// Bytes of one value of a fixed-size type; 0 for STRING and ARRAY (variable) and for unknown tags.
uint64_t gguf_scalar_size(GgufType t);

// One metadata value. A scalar keeps its bits (as the type says: read it with as_uint/as_int/as_float/as_bool);
// a string its bytes; an array its element type and its elements (numbers packed as in the file in `raw`, strings
// in `strings`, nested arrays in `arrays`).
struct GgufValue {
  GgufType type = GgufType::U8;
  uint64_t bits = 0;   // scalar: the value's little-endian bytes, zero-extended
  std::string str;     // STRING
  GgufType elem_type = GgufType::U8;  // ARRAY: the type of every element
  uint64_t count = 0;                 // ARRAY: number of elements
  std::vector<uint8_t> raw;           // ARRAY of numbers/bools: count * element size bytes
  std::vector<std::string> strings;   // ARRAY of STRING
  std::vector<GgufValue> arrays;      // ARRAY of ARRAY

  bool is_integer() const;  // U8..I64 except F32/BOOL
  bool is_float() const { return type == GgufType::F32 || type == GgufType::F64; }
  uint64_t as_uint() const;  // unsigned integer types, or signed ones holding a value >= 0
  int64_t as_int() const;    // any integer type whose value fits int64
  double as_float() const;   // F32 or F64
  bool as_bool() const { return bits != 0; }
  // Element k of a numeric ARRAY, as int64 (integer element types) or double (F32/F64).
  int64_t int_at(uint64_t k) const;

  // Builders for the writer and the tests.
  static GgufValue u32(uint32_t v);
  static GgufValue i32(int32_t v);
  static GgufValue u64(uint64_t v);
  static GgufValue f32(float v);
  static GgufValue boolean(bool v);
  static GgufValue string(std::string v);
  static GgufValue string_array(std::vector<std::string> v);
  static GgufValue i32_array(const std::vector<int32_t>& v);
  static GgufValue array_of_arrays(GgufType elem_of_elems, std::vector<GgufValue> v);  // nested arrays
};

// One tensor of a mapped file. `data` points into the mapping and lives as long as its GgufFile.
struct GgufTensor {
  std::string name;
  std::vector<int64_t> dims;  // ggml order: dims[0] varies fastest (a torch [out, in] weight has dims {in, out})
  GgmlType type;
  uint64_t offset;            // from the start of the data section, a multiple of the alignment
  const uint8_t* data;
  uint64_t nbytes;            // row_bytes(type, dims[0]) * dims[1] * ...
  std::vector<int64_t> shape() const;  // row-major, outermost first: dims reversed ({in, out} -> [out, in])
  int64_t numel() const;
};

// The most dimensions a GGUF tensor may have (ggml's GGML_MAX_DIMS) and the longest tensor name (GGML_MAX_NAME - 1).
inline constexpr uint32_t kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxNameLength = 63;
// Arrays nested deeper than this are refused (each level costs a stack frame while reading).
inline constexpr int kGgufMaxArrayDepth = 8;

// One memory-mapped GGUF file, validated on open: magic and version; every count, string length and array length
// against the bytes left; keys and tensor names unique; n_dims <= 4 and every dimension >= 1 with their product and
// byte size overflow-checked; types known (core/quant.h) with a row length that is a whole number of blocks;
// general.alignment a power of two (default 32); every tensor's data aligned, inside the file, and overlapping no
// other. Violations throw FormatError "PATH: FIELD-OR-TENSOR: what is wrong"; a missing file IoError.
class GgufFile {
 public:
  explicit GgufFile(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // where the data section starts in the file

  // Metadata in file order, and by key.
  const std::vector<std::pair<std::string, GgufValue>>& metadata() const { return metadata_; }
  const GgufValue* find(const std::string& key) const;  // nullptr if absent
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find_tensor(const std::string& name) const;  // nullptr if absent

  // Typed metadata access for the model loader: FormatError "PATH: metadata key 'KEY': ..." when the key is
  // missing (the require_ forms) or holds the wrong type.
  std::string require_string(const std::string& key) const;
  uint64_t require_uint(const std::string& key) const;  // any integer type holding a value >= 0
  double require_float(const std::string& key) const;   // F32 or F64
  const GgufValue& require_array(const std::string& key, GgufType elem_type) const;

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::map<std::string, size_t> key_index_;
  std::vector<GgufTensor> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace qwen3
