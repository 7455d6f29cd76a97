// Look: font, colours, spacing. The viewer is read for long stretches, so it uses a real proportional font
// (DejaVu Sans, when installed) a little larger than ImGui's 13-pixel bitmap default, and a calm dark
// style where the category colours carry the information.
#pragma once

namespace qwen3::viewer {

// Symbols drawn in the UI, as UTF-8 when the font has them, else ASCII stand-ins.
struct Glyphs {
  const char* sigma = "sd";
  const char* arrow = "->";
  const char* up = "^";
  const char* folded = ">";
  const char* unfolded = "v";
  const char* ellipsis = "...";
  const char* times = "x";
};

struct Theme {
  float font_size = 13;
  Glyphs glyphs;
};

// Call once after ImGui::CreateContext and before the renderer builds the font texture. `scale` multiplies
// the font size (high-DPI screens).
Theme setup_theme(float scale);

}  // namespace qwen3::viewer
