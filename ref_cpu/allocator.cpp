#include "ref_cpu/allocator.h"

#include <mutex>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace qwen3::cpu {

void keep_freed_memory() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: blocks above it still go back to the kernel
    mallopt(M_TRIM_THRESHOLD, -1);        // (unsigned) the largest value: the heap never shrinks
#endif
  });
}

}  // namespace qwen3::cpu
