// The panels of the window, one function each (drawing only: they read and change the App's state and
// ask the model for everything they show).
#pragma once
#include <imgui.h>

#include "viewer/app.h"

namespace qwen3::viewer {

// draw_timeline.cpp: ruler and tracks, mouse and keyboard navigation, hover, selection, flows.
void draw_timeline(App& app, ImVec2 size);

// draw_stats.cpp
void draw_share_bar(const App& app, const Document& doc, float width, float height);
void draw_legend(const App& app, const Document& doc);
void draw_stats_tab(App& app);
void draw_categories_tab(App& app);
void draw_histogram_panel(App& app);
void draw_interval_tab(App& app);

// draw_details.cpp
void draw_details_panel(App& app);
void draw_slice_tooltip(const App& app, int source, uint32_t slice);
void draw_merged_tooltip(const App& app, const Hit& hit);
void draw_instant_tooltip(const App& app, const Hit& hit);
void draw_messages_tab(App& app);

// draw_compare.cpp
void draw_compare_tab(App& app);

// A titled separator between sections of a panel.
void section(const char* title);
// A small square of `color` inline with text (legends, tables).
void color_chip(uint32_t color);

}  // namespace qwen3::viewer
