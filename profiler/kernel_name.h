// Short names for GPU kernels, shared by the profiler's summary and the viewer (header-only, so that the viewer,
// which links no project library, uses the same rule).
//
// CUPTI and PyTorch's profiler name a kernel by its whole demangled signature,
//   void qwen3::gemm::step10::wgmma_tma_kernel<qwen3::cuda_opt::AddF32>(CUtensorMap_st, CUtensorMap_st, int, ...)
// which a table column or a timeline box cuts to "void qwen3::gemm::step10::wgmma_t...": the GEMMs of a layer
// then look alike. The short name keeps the function and its template arguments, as Nsight Systems does:
// "wgmma_tma_kernel<AddF32>".
#pragma once
#include <string>
#include <string_view>

namespace qwen3::prof {

// The short form of a C++ function signature ("[return type ]ns::name<args>(params)"): without the return type,
// the parameter list, "(anonymous namespace)" and every namespace or class qualifier, also inside the template
// arguments. A name that is not a signature (no parameter list: "nvjet_hsh_...", "Memcpy HtoD"; or a space
// before its parentheses: "forward (CUDA graph replay)") is returned whole.
inline std::string short_kernel_name(std::string_view name) {
  auto is_ident = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string s;  // the name without "(anonymous namespace)::"
  constexpr std::string_view kAnon = "(anonymous namespace)::";
  for (size_t i = 0; i < name.size();) {
    if (name.compare(i, kAnon.size(), kAnon) == 0) {
      i += kAnon.size();
    } else {
      s += name[i++];
    }
  }
  // 1. The parameter list: the first '(' outside template brackets, right after the name; the signature ends
  //    with its ')'.
  size_t paren = std::string::npos;
  int depth = 0;
  for (size_t i = 0; i < s.size() && paren == std::string::npos; ++i) {
    if (s[i] == '<') ++depth;
    else if (s[i] == '>' && --depth < 0) return std::string(name);  // "operator>" and the like: leave it
    else if (s[i] == '(' && depth == 0) paren = i;
  }
  if (paren == std::string::npos || paren == 0 || s[paren - 1] == ' ' || s.back() != ')') return std::string(name);
  // 2. The qualified name: after the last space outside template brackets (the return type goes).
  size_t begin = 0;
  depth = 0;
  for (size_t i = 0; i < paren; ++i) {
    if (s[i] == '<') ++depth;
    else if (s[i] == '>') --depth;
    else if (s[i] == ' ' && depth == 0) begin = i + 1;
  }
  const std::string_view qualified = std::string_view(s).substr(begin, paren - begin);
  // 3. Every "identifier::" goes, at the top level and inside the template arguments.
  std::string out;
  for (size_t i = 0; i < qualified.size();) {
    size_t j = i;
    while (j < qualified.size() && is_ident(qualified[j])) ++j;
    if (j > i && qualified.compare(j, 2, "::") == 0) {
      i = j + 2;
    } else if (j > i) {
      out.append(qualified.substr(i, j - i));
      i = j;
    } else {
      out += qualified[i++];
    }
  }
  return out.empty() ? std::string(name) : out;
}

}  // namespace qwen3::prof
