#include "viewer/colors.h"

#include <algorithm>
#include <cmath>

namespace qwen3::viewer {

namespace {

struct Named {
  std::string_view category;
  uint32_t color;
};
// Ours first (profiler/trace.h kCategories), then Kineto's names for the same kinds of work.
constexpr Named kFixed[] = {
    {"gemm", rgba(0x4e, 0x79, 0xa7)},        {"attention", rgba(0xb0, 0x7a, 0xa1)},
    {"norm", rgba(0x59, 0xa1, 0x4f)},        {"elementwise", rgba(0xf2, 0x8e, 0x2b)},
    {"memcpy", rgba(0xe1, 0x57, 0x59)},      {"memset", rgba(0x9c, 0x75, 0x5f)},
    {"runtime", rgba(0x76, 0xb7, 0xb2)},     {"sync", rgba(0xff, 0x9d, 0xa7)},
    {"nvtx", rgba(0xed, 0xc9, 0x48)},        {"host", rgba(0xba, 0xb0, 0xac)},
    {"kernel", rgba(0x4e, 0x79, 0xa7)},      {"gpu_memcpy", rgba(0xe1, 0x57, 0x59)},
    {"gpu_memset", rgba(0x9c, 0x75, 0x5f)},  {"cuda_runtime", rgba(0x76, 0xb7, 0xb2)},
    {"cuda_driver", rgba(0x5f, 0x9e, 0x99)}, {"cpu_op", rgba(0x8c, 0xd1, 0x7d)},
    {"user_annotation", rgba(0xed, 0xc9, 0x48)}, {"gpu_user_annotation", rgba(0xed, 0xc9, 0x48)},
    {"python_function", rgba(0xd4, 0xa6, 0xc8)}, {"", rgba(0xa0, 0xa7, 0xb4)},
};

uint32_t hsv(float h, float s, float v) {
  const float c = v * s;
  const float hp = std::fmod(h / 60.0f, 6.0f);
  const float x = c * (1 - std::fabs(std::fmod(hp, 2.0f) - 1));
  float r = 0, g = 0, b = 0;
  if (hp < 1) r = c, g = x;
  else if (hp < 2) r = x, g = c;
  else if (hp < 3) g = c, b = x;
  else if (hp < 4) g = x, b = c;
  else if (hp < 5) r = x, b = c;
  else r = c, b = x;
  const float m = v - c;
  auto to8 = [](float f) { return static_cast<uint8_t>(std::clamp(std::lround(f * 255.0f), 0L, 255L)); };
  return rgba(to8(r + m), to8(g + m), to8(b + m));
}

}  // namespace

uint32_t hash_color(std::string_view name) {
  uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  // Hue from the low bits, a little saturation/value variety from the high bits.
  const float hue = static_cast<float>(h % 360u);
  const float sat = 0.42f + 0.16f * static_cast<float>((h >> 16) & 0xff) / 255.0f;
  const float val = 0.78f + 0.14f * static_cast<float>((h >> 24) & 0xff) / 255.0f;
  return hsv(hue, sat, val);
}

uint32_t category_color(std::string_view category) {
  for (const Named& n : kFixed)
    if (n.category == category) return n.color;
  return hash_color(category);
}

uint32_t text_color_on(uint32_t bg) {
  const float r = static_cast<float>(bg & 0xff) / 255.0f, g = static_cast<float>((bg >> 8) & 0xff) / 255.0f,
              b = static_cast<float>((bg >> 16) & 0xff) / 255.0f;
  const float lum = 0.2126f * r + 0.7152f * g + 0.0722f * b;
  return lum > 0.45f ? rgba(0x14, 0x14, 0x18) : rgba(0xff, 0xff, 0xff);
}

uint32_t shade(uint32_t c, float f) {
  auto ch = [&](int shift) {
    const float v = static_cast<float>((c >> shift) & 0xff);
    const float out = f <= 1 ? v * f : v + (255.0f - v) * (f - 1.0f);
    return static_cast<uint32_t>(std::clamp(out, 0.0f, 255.0f)) << shift;
  };
  return ch(0) | ch(8) | ch(16) | (c & 0xff000000u);
}

uint32_t with_alpha(uint32_t c, uint8_t a) { return (c & 0x00ffffffu) | (uint32_t{a} << 24); }

}  // namespace qwen3::viewer
