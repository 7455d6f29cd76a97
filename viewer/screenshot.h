// Headless screenshots: the UI is rendered into an offscreen framebuffer of exactly the requested size (so
// the result does not depend on the window manager or the Xvfb screen), read back with glReadPixels and
// written as PNG with stb_image_write.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qwen3::viewer {

class OffscreenTarget {
 public:
  // Needs a current OpenGL 3 context. Throws std::runtime_error if the framebuffer is incomplete.
  OffscreenTarget(int width, int height);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  void bind();     // render into it (and set the viewport)
  void unbind();   // back to the window
  std::vector<uint8_t> read_rgba();  // top row first
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  int width_, height_;
  unsigned fbo_ = 0, color_ = 0;
};

// RGBA pixels, top row first. Returns "" on success, else why it failed.
std::string write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba);

}  // namespace qwen3::viewer
