#include "viewer/theme.h"

#include <imgui.h>

#include <filesystem>

namespace qwen3::viewer {

Theme setup_theme(float scale) {
  Theme theme;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini dropped in the working directory
  const char* candidates[] = {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                              "/usr/share/fonts/TTF/DejaVuSans.ttf",
                              "/usr/share/fonts/dejavu/DejaVuSans.ttf"};
  for (const char* path : candidates) {
    if (!std::filesystem::exists(path)) continue;
    // Latin-1, Greek (sigma), punctuation (ellipsis), arrows, geometric shapes (fold triangles).
    static const ImWchar ranges[] = {0x0020, 0x00FF, 0x0370, 0x03FF, 0x2010, 0x205E,
                                     0x2190, 0x21FF, 0x25A0, 0x25FF, 0};
    const float size = 15.0f * scale;
    if (io.Fonts->AddFontFromFileTTF(path, size, nullptr, ranges)) {
      theme.font_size = size;
      theme.glyphs = {"\xcf\x83", "\xe2\x86\x92", "\xe2\x86\x91", "\xe2\x96\xb6", "\xe2\x96\xbc", "\xe2\x80\xa6",
                      "\xc3\x97"};
      break;
    }
  }
  if (theme.font_size == 13) {
    ImFontConfig cfg;
    cfg.SizePixels = 13.0f * scale;
    io.Fonts->AddFontDefault(&cfg);
    theme.font_size = cfg.SizePixels;
  }

  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  s.WindowRounding = 0;
  s.ChildRounding = 3;
  s.FrameRounding = 3;
  s.GrabRounding = 3;
  s.TabRounding = 3;
  s.PopupRounding = 3;
  s.ScrollbarRounding = 3;
  s.WindowPadding = ImVec2(8, 6);
  s.FramePadding = ImVec2(6, 3);
  s.ItemSpacing = ImVec2(8, 5);
  s.CellPadding = ImVec2(6, 2);
  s.ScrollbarSize = 13;
  s.WindowBorderSize = 0;
  s.ScaleAllSizes(scale);
  ImVec4* c = s.Colors;
  c[ImGuiCol_WindowBg] = ImVec4(0.105f, 0.11f, 0.125f, 1.0f);
  c[ImGuiCol_ChildBg] = ImVec4(0.085f, 0.09f, 0.10f, 1.0f);
  c[ImGuiCol_PopupBg] = ImVec4(0.13f, 0.135f, 0.15f, 0.98f);
  c[ImGuiCol_MenuBarBg] = ImVec4(0.14f, 0.145f, 0.165f, 1.0f);
  c[ImGuiCol_Header] = ImVec4(0.26f, 0.36f, 0.52f, 0.55f);
  c[ImGuiCol_HeaderHovered] = ImVec4(0.30f, 0.42f, 0.62f, 0.70f);
  c[ImGuiCol_HeaderActive] = ImVec4(0.32f, 0.46f, 0.68f, 0.85f);
  c[ImGuiCol_TableHeaderBg] = ImVec4(0.16f, 0.17f, 0.19f, 1.0f);
  c[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.025f);
  c[ImGuiCol_Tab] = ImVec4(0.16f, 0.17f, 0.19f, 1.0f);
  c[ImGuiCol_TabActive] = ImVec4(0.26f, 0.36f, 0.52f, 1.0f);
  c[ImGuiCol_TabHovered] = ImVec4(0.30f, 0.42f, 0.62f, 1.0f);
  c[ImGuiCol_FrameBg] = ImVec4(0.16f, 0.17f, 0.19f, 1.0f);
  c[ImGuiCol_Separator] = ImVec4(0.25f, 0.26f, 0.29f, 1.0f);
  return theme;
}

}  // namespace qwen3::viewer
