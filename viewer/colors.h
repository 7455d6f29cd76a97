// One colour per category, the same in the timeline, the statistics bars and the legend.
//
// The project's own categories (profiler/trace.h) and PyTorch/Kineto's get fixed colours (Tableau 10 and
// neighbours: distinct, readable under dark or light text); any other category gets a colour from a hash
// of its name, so it is the same in every run and on every machine. Colours are packed as Dear ImGui's
// IM_COL32 (0xAABBGGRR) without including ImGui, so the model and its tests need no graphics library.
#pragma once
#include <cstdint>
#include <string_view>

namespace qwen3::viewer {

constexpr uint32_t rgba(uint8_t r, uint8_t g, uint8_t b, uint8_t a = 255) {
  return uint32_t{r} | (uint32_t{g} << 8) | (uint32_t{b} << 16) | (uint32_t{a} << 24);
}

uint32_t category_color(std::string_view category);
// FNV-1a of the name to a hue, at fixed saturation and value (pleasant, never too dark for black text).
uint32_t hash_color(std::string_view name);
// Black or white, whichever reads better on `background` (by relative luminance).
uint32_t text_color_on(uint32_t background);
// The colour scaled towards black (f < 1) or white (f > 1), alpha kept.
uint32_t shade(uint32_t color, float f);
uint32_t with_alpha(uint32_t color, uint8_t alpha);

}  // namespace qwen3::viewer
