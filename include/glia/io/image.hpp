// Reading and writing 8-bit images (JPEG, PNG, BMP, ... through stb_image / stb_image_write).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glia::io {

// An 8-bit image, row-major, channels interleaved (HWC).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;

  Image() = default;
  Image(int w, int h, int c, uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}

  bool empty() const { return pixels.empty(); }
  uint8_t& at(int y, int x, int c) {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
};

// Decodes an image file into `channels` channels (1: gray, 3: RGB, 4: RGBA); grayscale files are
// replicated and alpha is dropped as needed. Throws std::runtime_error naming the file and the
// decoder's reason (missing, truncated, not an image, ...).
Image read_image(const std::string& path, int channels = 3);

// Decodes an image held in memory; `name` is used in error messages.
Image decode_image(const std::string& bytes, const std::string& name, int channels = 3);

// Writes a PNG atomically (temporary file + rename).
void write_png(const std::string& path, const Image& image);

}  // namespace glia::io
