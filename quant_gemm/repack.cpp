#include "quant_gemm/repack.h"

#include <cstring>
#include <string>

#include "core/error.h"
#include "core/safetensors.h"  // f16_to_f32

namespace qwen3::quant_gemm {

// Block b of a Q8_0 row: [f16 d][32 × int8] (34 bytes)  ->  scales[b] = d,  codes[32b .. 32b+31] = the 32 int8.
SplitQ8_0 split_q8_0(const uint8_t* rows, int64_t N, int64_t K) {
  if (N < 0 || K <= 0 || K % 32 != 0)
    throw InputError("split_q8_0: needs N >= 0 and K a positive multiple of 32, not N=" + std::to_string(N) +
                     " K=" + std::to_string(K));
  const int64_t blocks = N * (K / 32);
  SplitQ8_0 out;
  out.codes.resize(static_cast<size_t>(N * K));
  out.scales.resize(static_cast<size_t>(blocks));
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t* block = rows + b * 34;
    out.scales[b] = f16_to_f32(static_cast<uint16_t>(block[0] | (block[1] << 8)));
    std::memcpy(out.codes.data() + b * 32, block + 2, 32);
  }
  return out;
}

}  // namespace qwen3::quant_gemm
