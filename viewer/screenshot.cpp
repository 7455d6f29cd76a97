#include "viewer/screenshot.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
#include <stb/stb_image_write.h>  // the implementation is in Debian's libstb

#include <stdexcept>

namespace qwen3::viewer {

OffscreenTarget::OffscreenTarget(int width, int height) : width_(width), height_(height) {
  glGenFramebuffers(1, &fbo_);
  glGenRenderbuffers(1, &color_);
  glBindRenderbuffer(GL_RENDERBUFFER, color_);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color_);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE)
    throw std::runtime_error("cannot create a " + std::to_string(width) + "x" + std::to_string(height) +
                             " offscreen framebuffer (status 0x" + std::to_string(status) + ")");
}

OffscreenTarget::~OffscreenTarget() {
  glDeleteFramebuffers(1, &fbo_);
  glDeleteRenderbuffers(1, &color_);
}

void OffscreenTarget::bind() {
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glViewport(0, 0, width_, height_);
}

void OffscreenTarget::unbind() { glBindFramebuffer(GL_FRAMEBUFFER, 0); }

std::vector<uint8_t> OffscreenTarget::read_rgba() {
  std::vector<uint8_t> px(static_cast<size_t>(width_) * static_cast<size_t>(height_) * 4);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width_, height_, GL_RGBA, GL_UNSIGNED_BYTE, px.data());
  glBindFramebuffer(GL_READ_FRAMEBUFFER, 0);
  // OpenGL's first row is the bottom one: flip to top-first.
  const size_t row = static_cast<size_t>(width_) * 4;
  for (int y = 0; y < height_ / 2; ++y) {
    uint8_t* a = px.data() + static_cast<size_t>(y) * row;
    uint8_t* b = px.data() + static_cast<size_t>(height_ - 1 - y) * row;
    for (size_t i = 0; i < row; ++i) std::swap(a[i], b[i]);
  }
  for (size_t i = 3; i < px.size(); i += 4) px[i] = 255;  // opaque, whatever the blending left in alpha
  return px;
}

std::string write_png(const std::string& path, int width, int height, const std::vector<uint8_t>& rgba) {
  if (!stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4))
    return "cannot write the PNG " + path;
  return "";
}

}  // namespace qwen3::viewer
