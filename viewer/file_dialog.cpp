#include "viewer/file_dialog.h"

#include <imgui.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "viewer/trace_input.h"

namespace qwen3::viewer {

namespace fs = std::filesystem;

FileDialog::FileDialog(std::string start_dir) { go(start_dir); }

void FileDialog::go(const std::string& dir) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::path(dir), ec);
  dir_ = ec ? dir : p.string();
  selected_ = -1;
  list_error_.clear();
  try {
    entries_ = list_directory(dir_, traces_only_);
  } catch (const Error& e) {
    entries_.clear();
    list_error_ = e.what();
  }
  std::snprintf(path_buf_, sizeof path_buf_, "%s", (fs::path(dir_) / "").string().c_str());
}

void FileDialog::open(int slot) {
  slot_ = slot;
  open_request_ = true;
  go(dir_);  // refresh the listing
}

bool FileDialog::draw(std::string& path, int& slot, const Glyphs& g) {
  if (open_request_) {
    ImGui::OpenPopup("Open trace");
    open_request_ = false;
  }
  const ImVec2 size(ImGui::GetFontSize() * 46, ImGui::GetFontSize() * 30);
  ImGui::SetNextWindowSize(size, ImGuiCond_Appearing);
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f),
                          ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
  bool chosen = false;
  if (!ImGui::BeginPopupModal("Open trace", nullptr, ImGuiWindowFlags_NoSavedSettings)) return false;

  auto choose = [&](const std::string& p) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      go(p);
      return;
    }
    path = p;
    slot = slot_;
    chosen = true;
    ImGui::CloseCurrentPopup();
  };

  if (ImGui::Button(g.up)) go(parent_directory(dir_));
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("Parent folder");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
  if (ImGui::InputText("##path", path_buf_, sizeof path_buf_, ImGuiInputTextFlags_EnterReturnsTrue))
    choose(path_buf_);

  const float footer = ImGui::GetFrameHeightWithSpacing() * 2 + ImGui::GetStyle().ItemSpacing.y;
  ImGui::BeginChild("listing", ImVec2(0, -footer), true);
  if (!list_error_.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1));
    ImGui::TextWrapped("%s", list_error_.c_str());
    ImGui::PopStyleColor();
  }
  std::string enter;  // a folder double-clicked: entered after the loop (entering rewrites entries_)
  if (ImGui::BeginTable("entries", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("name", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("size", ImGuiTableColumnFlags_WidthFixed, ImGui::GetFontSize() * 6);
    for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
      const DirEntry& e = entries_[static_cast<size_t>(i)];
      const std::string full = (fs::path(dir_) / e.name).string();
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(i);
      if (e.is_dir) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.55f, 0.75f, 1.0f, 1));
      const std::string label = e.is_dir ? e.name + "/" : e.name;
      if (ImGui::Selectable(label.c_str(), selected_ == i,
                            ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowDoubleClick)) {
        selected_ = i;
        std::snprintf(path_buf_, sizeof path_buf_, "%s", full.c_str());
        if (ImGui::IsMouseDoubleClicked(0)) {
          if (e.is_dir) enter = full;
          else choose(full);
        }
      }
      if (e.is_dir) ImGui::PopStyleColor();
      ImGui::PopID();
      ImGui::TableNextColumn();
      if (!e.is_dir) ImGui::TextDisabled("%s", format_bytes(e.size).c_str());
    }
    ImGui::EndTable();
  }
  if (!enter.empty()) go(enter);
  if (entries_.empty() && list_error_.empty()) ImGui::TextDisabled("(no trace files here)");
  ImGui::EndChild();

  if (ImGui::Checkbox("Only trace files (.json, .gz, .trace)", &traces_only_)) go(dir_);
  ImGui::SameLine();
  ImGui::TextDisabled("  Open as:");
  ImGui::SameLine();
  ImGui::RadioButton("the trace", &slot_, 0);
  ImGui::SameLine();
  ImGui::RadioButton("second trace (compare)", &slot_, 1);

  const float bw = ImGui::GetFontSize() * 6;
  ImGui::SetCursorPosX(ImGui::GetWindowWidth() - 2 * bw - ImGui::GetStyle().ItemSpacing.x - ImGui::GetStyle().WindowPadding.x);
  if (ImGui::Button("Open", ImVec2(bw, 0))) choose(path_buf_);
  ImGui::SameLine();
  if (ImGui::Button("Cancel", ImVec2(bw, 0)) || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape)))
    ImGui::CloseCurrentPopup();
  ImGui::EndPopup();
  return chosen;
}

}  // namespace qwen3::viewer
