// The NVTX side of the CUPTI session (cupti_nvtx.h): the tracer's ranges as NVTX calls, category names <-> ids,
// and finding the loaded libcupti to point NVTX's injection at it.
#include "profiler/cupti_nvtx.h"

#include <cupti.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <nvtx3/nvToolsExt.h>

#include <cstdlib>
#include <cstring>
#include <iterator>

#include "profiler/trace.h"  // kCategories

namespace qwen3::prof::cupti {

// ---- categories ---------------------------------------------------------------------------------------------------

uint32_t category_id(const char* category) {
  if (category == nullptr) return 0;
  for (size_t i = 0; i < std::size(kCategories); ++i) {
    if (std::strcmp(category, kCategories[i]) == 0) return static_cast<uint32_t>(i + 1);
  }
  return 0;
}

const char* category_of_id(uint32_t id) {
  return id >= 1 && id <= std::size(kCategories) ? kCategories[id - 1] : nullptr;
}

uint32_t category_color(uint32_t id) {
  static constexpr uint32_t colors[] = {0xff4e79a7, 0xfff28e2b, 0xff59a14f, 0xffedc948, 0xffb07aa1,
                                        0xff9c755f, 0xffbab0ac, 0xffe15759, 0xff76b7b2, 0xffff9da7};
  return id >= 1 && id <= std::size(colors) ? colors[id - 1] : 0xffbab0ac;
}

// ---- the tracer ---------------------------------------------------------------------------------------------------

void NvtxTracer::push_range(const std::string& name, const char* category) {
  const uint32_t id = category_id(category);
  nvtxEventAttributes_t a{};
  a.version = NVTX_VERSION;
  a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
  a.category = id;
  a.colorType = NVTX_COLOR_ARGB;
  a.color = category_color(id);
  a.messageType = NVTX_MESSAGE_TYPE_ASCII;
  a.message.ascii = name.c_str();
  nvtxRangePushEx(&a);
  pushed_.fetch_add(1, std::memory_order_relaxed);
}

void NvtxTracer::pop_range() { nvtxRangePop(); }

void name_nvtx_categories() {
  for (size_t i = 0; i < std::size(kCategories); ++i) nvtxNameCategoryA(static_cast<uint32_t>(i + 1), kCategories[i]);
}

// ---- NVTX injection -----------------------------------------------------------------------------------------------

namespace {

// The file of the libcupti this process has loaded: where dladdr says a CUPTI function lives, or, should that name
// the executable (a non-PIE program takes function addresses through its PLT), the loaded object named libcupti.
std::string loaded_cupti_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cuptiActivityRegisterCallbacks), &info) != 0 && info.dli_fname != nullptr &&
      std::strstr(info.dli_fname, "cupti") != nullptr) {
    return info.dli_fname;
  }
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* i, size_t, void* out) {
        if (i->dlpi_name != nullptr && std::strstr(i->dlpi_name, "libcupti") != nullptr) {
          *static_cast<std::string*>(out) = i->dlpi_name;
          return 1;
        }
        return 0;
      },
      &found);
  return found;
}

// True when `a` and `b` name the same loaded library (or, failing that, the same file).
bool same_library(const std::string& a, const std::string& b) {
  void* ha = dlopen(a.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  void* hb = dlopen(b.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  const bool same_handle = ha != nullptr && ha == hb;
  if (ha != nullptr) dlclose(ha);
  if (hb != nullptr) dlclose(hb);
  if (same_handle) return true;
  struct stat sa{}, sb{};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

std::string point_nvtx_at_cupti(std::vector<std::string>& warnings) {
  const std::string cupti = loaded_cupti_path();
  const char* existing = std::getenv("NVTX_INJECTION64_PATH");
  if (existing != nullptr && *existing != '\0') {
    if (cupti.empty() || !same_library(existing, cupti)) {
      warnings.push_back(std::string("NVTX_INJECTION64_PATH is set to ") + existing + ", not this process's CUPTI (" +
                         (cupti.empty() ? "not found" : cupti) +
                         "): NVTX ranges go to that tool and will be missing from this trace");
    }
    return existing;
  }
  if (cupti.empty()) {
    warnings.push_back("could not find the loaded libcupti to set NVTX_INJECTION64_PATH: the trace will have no "
                       "NVTX ranges");
    return "";
  }
  setenv("NVTX_INJECTION64_PATH", cupti.c_str(), 0);  // 0: never overwrite a value set meanwhile
  const char* now = std::getenv("NVTX_INJECTION64_PATH");
  return now != nullptr ? now : "";
}

}  // namespace qwen3::prof::cupti
