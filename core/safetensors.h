// safetensors reader (memory-mapped) and writer.
//
// File layout: [u64 little-endian header length N][N bytes of JSON header][raw data].
// The header maps tensor name -> {"dtype": "F32"|"BF16"|"F16"|..., "shape": [...], "data_offsets": [begin, end]}
// with offsets relative to the first byte after the header, plus an optional "__metadata__" string map.
// A checkpoint directory holds either one `model.safetensors` or several shards listed by
// `model.safetensors.index.json` ({"weight_map": {tensor name: shard file name}}).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace qwen3 {

// Element types this project converts to f32. Any other dtype in a header is rejected (FormatError).
enum class DType { F32, BF16, F16 };
const char* dtype_name(DType t);
size_t dtype_size(DType t);

// One tensor inside a mapped file. `data` points into the mapping and lives as long as its file.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;  // row-major, outermost first (Hugging Face / PyTorch order)
  const uint8_t* data;         // not necessarily aligned
  size_t nbytes;
  std::string file;            // the file it came from, for error messages
  int64_t numel() const;
};

// Element-wise conversion of a tensor to f32 (bf16/f16 -> f32 is exact).
std::vector<float> to_f32(const TensorView& t);
void to_f32(const TensorView& t, float* out);  // out has t.numel() elements

// Rounding helpers shared with the writer and the GPU backends: f32 -> bf16 (round to nearest even), and back.
uint16_t f32_to_bf16(float x);
float bf16_to_f32(uint16_t b);
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float x);  // round to nearest even; |x| >= 65520 -> ±inf

// One memory-mapped safetensors file, validated on open:
// the header length fits in the file, the header is a JSON object, every entry has a known dtype,
// a shape of non-negative ints and offsets with begin <= end, end within the data, (end - begin) equal to
// numel * dtype size, and no two tensors' byte ranges overlap. Violations throw FormatError naming the file
// and the tensor; a missing/unreadable file throws IoError.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find(const std::string& name) const;  // nullptr if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// The prefix of Qwen3ForCausalLM's tensor names ("model.norm.weight"), which the project's names carry; a
// checkpoint of the bare Qwen3Model has the same names without it.
inline constexpr const char* kModelPrefix = "model.";

// All tensors of a checkpoint directory: `model.safetensors`, or the shards named by
// `model.safetensors.index.json`. Missing directory / files -> IoError; a malformed index -> FormatError.
class SafetensorsCheckpoint {
 public:
  explicit SafetensorsCheckpoint(const std::string& dir);
  // The tensor called `name`; throws ShapeError("missing tensor NAME (or NAME without model.) in DIR") if absent.
  const TensorView& get(const std::string& name) const;
  // The tensor called `name`, or when absent and `name` starts with "model.", the one called the rest of it
  // (Qwen3Model's checkpoints); nullptr if neither is there.
  const TensorView* find(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorView*> by_name_;
};

// A tensor to write: its name, dtype, shape, and f32 values (converted to `dtype` on write).
struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const float* values;  // numel(shape) elements
};

// Writes one safetensors file (tensors in the given order, header padded with spaces to a multiple of 8,
// "__metadata__": {"format": "pt"} plus `metadata`). Deterministic: same input, same bytes.
void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace qwen3
