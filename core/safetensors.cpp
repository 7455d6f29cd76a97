// safetensors reader: one memory-mapped file (SafetensorsFile) and a checkpoint directory of one or
// more such files (SafetensorsCheckpoint). The writer is in safetensors_write.cpp, the dtype
// conversions in dtype.cpp.
//
// ---------------------------------------------------------------------------------------------------
// The file layout (https://github.com/huggingface/safetensors, "Format"):
//
//   byte 0        8                      8 + N                                          file end
//        +--------+----------------------+----------------------------------------------+
//        |   N    |  JSON header, N bytes |  data: every tensor's raw little-endian bytes |
//        +--------+----------------------+----------------------------------------------+
//         u64 LE   UTF-8, may end in spaces  (offsets below count from here, not from byte 0)
//
//   header = {
//     "__metadata__": {"format": "pt"},                         optional; string -> string only
//     "model.norm.weight": {"dtype": "BF16",                    F32, F16, BF16 here; the format also
//                           "shape": [48],                      has F64, I64 ... BOOL, F8_E4M3 ...
//                           "data_offsets": [111104, 111200]},  [begin, end) within the data section
//     ...
//   }
//
// A tensor's bytes are data[begin, end), row-major (last dimension fastest), and
// end - begin = numel(shape) * dtype size. A 0-dim tensor (shape []) holds one element; a shape with a
// 0 in it holds none (begin == end). Nothing is aligned: begin may be odd, so elements are read with
// memcpy. Because the whole file is mapped read-only, opening a multi-GB checkpoint costs no copy: the
// OS pages tensor bytes in when to_f32 (or a GPU upload) first touches them. (The flip side of mapping:
// a file truncated by another process while mapped makes the next touch of the lost pages a SIGBUS.)
//
// A sharded checkpoint adds model.safetensors.index.json:
//   {"metadata": {"total_size": ...}, "weight_map": {"model.norm.weight": "model-00002-of-00002.safetensors", ...}}
// ---------------------------------------------------------------------------------------------------
#include "core/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/json_read.h"
#include "core/regular_file.h"

namespace qwen3 {
namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

// 'name' in single quotes, control characters escaped as \xNN so that an error message stays on one line.
std::string quote_name(const std::string& s) {
  std::string q = "'";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      static const char* hex = "0123456789abcdef";
      q += "\\x";
      q += hex[c >> 4];
      q += hex[c & 15];
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "'";
}

// "[b, e]" for messages about data_offsets.
std::string range_str(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// "[151669, 48]" for messages about shapes.
std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// The header's dtype string -> DType; false for every dtype this project does not convert.
bool parse_dtype(const std::string& s, DType* out) {
  if (s == "F32") *out = DType::F32;
  else if (s == "BF16") *out = DType::BF16;
  else if (s == "F16") *out = DType::F16;
  else return false;
  return true;
}

// The 8-byte little-endian header length at the start of the file, assembled byte by byte.
uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// One tensor entry of the header, before the overlap check.
struct Entry {
  TensorView view;
  uint64_t begin, end;  // data_offsets, relative to the data section
};

// Parses and validates header[name] (dtype, shape, data_offsets) against a data section of `data_size`
// bytes starting at `data`. Throws FormatError "PATH: tensor 'NAME': ..." on the first problem.
Entry parse_entry(const std::string& path, const std::string& name, const ordered_json& v, const uint8_t* data,
                  uint64_t data_size) {
  const std::string where = path + ": tensor " + quote_name(name) + ": ";
  if (!v.is_object()) throw FormatError(where + "entry is a JSON " + v.type_name() + ", not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.contains(key)) throw FormatError(where + "no \"" + key + "\" field");

  // dtype: one of the three this project converts.
  Entry e;
  e.view.name = name;
  e.view.file = path;
  const ordered_json& dt = v["dtype"];
  if (!dt.is_string()) throw FormatError(where + "dtype " + json_excerpt(dt) + " is not a string");
  if (!parse_dtype(dt.get<std::string>(), &e.view.dtype))
    throw FormatError(where + "unsupported dtype " + quote_name(dt.get<std::string>()) +
                      " (this project reads F32, F16 and BF16)");

  // shape: an array of non-negative integers, each representable as int64.
  const ordered_json& sh = v["shape"];
  if (!sh.is_array()) throw FormatError(where + "shape " + json_excerpt(sh) + " is not an array of non-negative integers");
  for (const ordered_json& d : sh) {
    if (d.is_number_integer() && !d.is_number_unsigned())
      throw FormatError(where + "shape " + json_excerpt(sh) + " has a negative dimension (must be non-negative integers)");
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw FormatError(where + "shape " + json_excerpt(sh) + " is not an array of non-negative integers");
    e.view.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }

  // data_offsets: [begin, end] with begin <= end <= data size.
  const ordered_json& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
    throw FormatError(where + "data_offsets " + json_excerpt(off) + " are not two non-negative integers");
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end)
    throw FormatError(where + "data_offsets " + range_str(e.begin, e.end) + " have begin after end");
  if (e.end > data_size)
    throw FormatError(where + "data_offsets " + range_str(e.begin, e.end) + " run past the end of the data (" +
                      std::to_string(data_size) + " bytes)");

  // Size: numel * dtype size, guarding the multiplications (a shape like [2^40, 2^40] must not wrap around).
  uint64_t nbytes = dtype_size(e.view.dtype);
  const bool has_zero = std::find(e.view.shape.begin(), e.view.shape.end(), 0) != e.view.shape.end();
  if (has_zero) {
    nbytes = 0;
  } else {
    for (int64_t d : e.view.shape)
      if (__builtin_mul_overflow(nbytes, static_cast<uint64_t>(d), &nbytes))
        throw FormatError(where + "shape " + shape_str(e.view.shape) + " is too large (numel * dtype size overflows)");
  }
  if (e.end - e.begin != nbytes)
    throw FormatError(where + "data_offsets " + range_str(e.begin, e.end) + " hold " + std::to_string(e.end - e.begin) +
                      " bytes but shape " + shape_str(e.view.shape) + " of " + dtype_name(e.view.dtype) + " needs " +
                      std::to_string(nbytes) + " (size mismatch)");
  e.view.data = data + e.begin;
  e.view.nbytes = static_cast<size_t>(nbytes);
  return e;
}

}  // namespace

// Maps `path` read-only and validates its header (see the layout above). The mapping stays until the
// destructor; every TensorView points into it.
SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  // 1. Open and size the file.
  //    (RegularFile: a FIFO or a device is refused before anything waits on it.)
  const RegularFile file(path, "safetensors file");
  const uint64_t size = file.size();
  if (size < 8)
    throw FormatError(path + ": file is truncated (" + std::to_string(size) +
                      " bytes; a safetensors file starts with an 8-byte header length)");

  // 2. Map the whole file. MAP_PRIVATE + PROT_READ: we never write, and nobody else sees our pages.
  //    (The descriptor can be closed right after: the mapping keeps its own reference to the file.)
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, file.fd(), 0);
  if (m == MAP_FAILED) throw IoError("cannot map " + path + ": " + std::strerror(errno));
  map_ = m;
  map_size_ = size;

  try {
    // 3. Header length N, then the header's N bytes, then the data section.
    const uint8_t* base = static_cast<const uint8_t*>(map_);
    const uint64_t n = read_u64_le(base);
    if (n > size - 8)
      throw FormatError(path + ": header length " + std::to_string(n) + " runs past the end of the file (" +
                        std::to_string(size) + " bytes; truncated?)");
    const char* header = reinterpret_cast<const char*>(base + 8);
    const uint8_t* data = base + 8 + n;
    const uint64_t data_size = size - 8 - n;

    // 4. Parse the header as JSON, keeping the file's key order (tensors() lists tensors in header order).
    //    The callback notes a top-level key seen twice (the parser would silently keep only the last).
    std::string duplicate;
    bool have_duplicate = false;
    std::set<std::string> seen;
    const auto on_event = [&](int depth, ordered_json::parse_event_t event, ordered_json& parsed) {
      if (depth == 1 && event == ordered_json::parse_event_t::key && !have_duplicate) {
        const std::string& k = parsed.get_ref<const std::string&>();
        if (!seen.insert(k).second) {
          duplicate = k;
          have_duplicate = true;
        }
      }
      return true;
    };
    const ordered_json h = parse_json<ordered_json>(header, header + n, path + ": header", on_event);
    if (!h.is_object()) throw FormatError(path + ": header is a JSON " + h.type_name() + ", not an object");
    if (have_duplicate) throw FormatError(path + ": tensor " + quote_name(duplicate) + " appears twice in the header");

    // 5. Each entry: "__metadata__" (string -> string) or a tensor.
    std::vector<Entry> entries;
    for (const auto& [key, value] : h.items()) {
      if (key == "__metadata__") {
        if (!value.is_object())
          throw FormatError(path + ": __metadata__ is a JSON " + value.type_name() + ", not an object");
        for (const auto& [mk, mv] : value.items()) {
          if (!mv.is_string())
            throw FormatError(path + ": __metadata__ value " + quote_name(mk) + " is a JSON " + mv.type_name() +
                              ", not a string");
          metadata_[mk] = mv.get<std::string>();
        }
        continue;
      }
      entries.push_back(parse_entry(path, key, value, data, data_size));
    }

    // 6. No two tensors may share a byte. Sorted by begin, a non-empty range overlaps some earlier one
    //    exactly when it starts before the previous non-empty range ends. Empty ranges hold no bytes.
    std::vector<const Entry*> by_begin;
    for (const Entry& e : entries)
      if (e.begin != e.end) by_begin.push_back(&e);
    std::sort(by_begin.begin(), by_begin.end(), [](const Entry* a, const Entry* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (size_t i = 1; i < by_begin.size(); ++i) {
      const Entry& a = *by_begin[i - 1];
      const Entry& b = *by_begin[i];
      if (b.begin < a.end)
        throw FormatError(path + ": tensors " + quote_name(a.view.name) + " " + range_str(a.begin, a.end) + " and " +
                          quote_name(b.view.name) + " " + range_str(b.begin, b.end) + " overlap");
    }

    tensors_.reserve(entries.size());
    for (Entry& e : entries) tensors_.push_back(std::move(e.view));
  } catch (...) {
    ::munmap(map_, map_size_);  // the destructor does not run when the constructor throws
    map_ = nullptr;
    throw;
  }
}

// Unmaps the file: every TensorView of this file dangles from here on.
SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_size_);
}

// The tensor called `name`, or nullptr (a linear scan: a checkpoint file holds at most a few hundred tensors,
// and SafetensorsCheckpoint keeps its own name index).
const TensorView* SafetensorsFile::find(const std::string& name) const {
  for (const TensorView& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

// Opens every file of the checkpoint in `dir` and indexes their tensors by name:
//   with model.safetensors.index.json: each shard named in its weight_map, once, in sorted order,
//     checking that every tensor the index lists is in the shard it names;
//   otherwise: model.safetensors.
// Every tensor of every opened file is indexed (a shard's tensors that the weight_map forgets included);
// a name found in two files is a FormatError.
SafetensorsCheckpoint::SafetensorsCheckpoint(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  require_directory(dir, "model directory");

  // Takes ownership of an opened file and indexes its tensors.
  const auto add_file = [this](std::unique_ptr<SafetensorsFile> f) {
    for (const TensorView& t : f->tensors()) {
      const auto [it, inserted] = by_name_.emplace(t.name, &t);
      if (!inserted)
        throw FormatError(dir_ + ": tensor " + quote_name(t.name) + " appears in both " + it->second->file + " and " +
                          t.file);
    }
    files_.push_back(std::move(f));
  };

  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  const std::string single_path = (fs::path(dir) / "model.safetensors").string();

  if (!fs::exists(index_path, ec)) {
    if (!fs::exists(single_path, ec))
      throw IoError("model directory " + dir + " holds neither model.safetensors nor model.safetensors.index.json");
    add_file(std::make_unique<SafetensorsFile>(single_path));
    return;
  }

  // Sharded: read and validate the index.
  // An 8B model's index is ~30 KB; 256 MiB is far beyond any real one.
  const nlohmann::json index = parse_json(read_regular_file(index_path, "shard index", uint64_t{256} << 20), index_path);
  if (!index.is_object()) throw FormatError(index_path + ": is a JSON " + std::string(index.type_name()) + ", not an object");
  if (!index.contains("weight_map")) throw FormatError(index_path + ": no \"weight_map\" field");
  const nlohmann::json& weight_map = index["weight_map"];
  if (!weight_map.is_object())
    throw FormatError(index_path + ": weight_map is a JSON " + weight_map.type_name() + ", not an object");

  // Group the tensor names by shard (std::map: shards opened in sorted order, each once).
  std::map<std::string, std::vector<std::string>> by_shard;
  for (const auto& [name, shard] : weight_map.items()) {
    if (!shard.is_string())
      throw FormatError(index_path + ": weight_map entry " + quote_name(name) + " is a JSON " + shard.type_name() +
                        ", not a file name");
    const std::string s = shard.get<std::string>();
    if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos)
      throw FormatError(index_path + ": weight_map entry " + quote_name(name) + " names " + quote_name(s) +
                        ", which is not a plain file name");
    by_shard[s].push_back(name);
  }

  for (const auto& [shard, names] : by_shard) {
    const std::string shard_path = (fs::path(dir) / shard).string();
    if (!fs::exists(shard_path, ec))
      throw IoError(index_path + ": shard " + shard + " does not exist (" + shard_path + ")");
    auto f = std::make_unique<SafetensorsFile>(shard_path);
    for (const std::string& name : names)
      if (!f->find(name))
        throw FormatError(index_path + ": tensor " + quote_name(name) + " is listed in weight_map for " + shard +
                          " but absent from it");
    add_file(std::move(f));
  }
}

// The tensor called `name`; ShapeError if the checkpoint has none.
const TensorView& SafetensorsCheckpoint::get(const std::string& name) const {
  const TensorView* t = find(name);
  if (!t) {
    const bool prefixed = name.rfind(kModelPrefix, 0) == 0;
    throw ShapeError("missing tensor " + name +
                     (prefixed ? " (or " + name.substr(std::strlen(kModelPrefix)) + ")" : std::string()) + " in " +
                     dir_);
  }
  return *t;
}

// The tensor called `name`, or nullptr. The project names tensors as Qwen3ForCausalLM's checkpoints do
// ("model.layers.0.mlp.up_proj.weight"); a checkpoint saved from the bare Qwen3Model (transformers'
// save_pretrained on it) holds the same tensors without the "model." prefix, so such a name is looked up without
// it when the prefixed one is absent.
const TensorView* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end() && name.rfind(kModelPrefix, 0) == 0) it = by_name_.find(name.substr(std::strlen(kModelPrefix)));
  return it == by_name_.end() ? nullptr : it->second;
}

// Every tensor name in the checkpoint, sorted.
std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  out.reserve(by_name_.size());
  for (const auto& kv : by_name_) out.push_back(kv.first);
  return out;
}

}  // namespace qwen3
