/// @file
/// Reading and writing 8-bit images. JPEG (libjpeg-turbo), PNG (libpng), BMP and PNM (stb_image)
/// are read; PNG and JPEG are written (stb_image_write). Image files are untrusted input: every
/// decoder checks the size the header declares against a pixel limit before it decodes anything,
/// and a corrupt file gives an error, never a crash (the decoders are fuzzed: tests/fuzz/).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glia::io {

/// An 8-bit image, row-major, channels interleaved (HWC).
struct Image {
  ///@{
  /// size in pixels and channels per pixel (1 grey, 3 colour)
  int width = 0, height = 0, channels = 0;
  ///@}
  /// row-major, channels interleaved: (y * width + x) * channels + c
  std::vector<uint8_t> pixels;

  Image() = default;
  /// A w x h image of c channels, every value `fill`.
  Image(int w, int h, int c, uint8_t fill = 0)
      : width(w), height(h), channels(c), pixels(static_cast<size_t>(w) * h * c, fill) {}

  /// True for an image without pixels.
  bool empty() const { return pixels.empty(); }
  ///@{
  /// Channel c of the pixel in row y, column x (unchecked).
  uint8_t& at(int y, int x, int c) {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
  uint8_t at(int y, int x, int c) const {
    return pixels[(static_cast<size_t>(y) * width + x) * channels + c];
  }
  ///@}
};

/// The default pixel limit: 50 megapixels (a 7071 x 7071 image, 150 MB as RGB).
constexpr int64_t kDefaultMaxPixels = 50'000'000;

/// Decodes an image file into `channels` channels (1: gray, 3: RGB, 4: RGBA); grayscale files are
/// replicated and alpha is dropped or added as needed. Throws std::runtime_error naming the file
/// and the reason (missing, truncated, corrupt, an unsupported format, or a header declaring more
/// than max_pixels pixels: refused before decoding, in milliseconds).
Image read_image(const std::string& path, int channels = 3, int64_t max_pixels = kDefaultMaxPixels);

/// Decodes an image held in memory; `name` is used in error messages.
Image decode_image(const std::string& bytes, const std::string& name, int channels = 3,
                   int64_t max_pixels = kDefaultMaxPixels);

/// The image as a PNG file's bytes (1 grey, 3 RGB or 4 RGBA channels).
std::string encode_png(const Image& image);
/// The image as a baseline JPEG file's bytes (1 or 3 channels), `quality` 1-100 as in libjpeg.
std::string encode_jpeg(const Image& image, int quality = 90);

/// Writes a PNG atomically (temporary file + rename).
void write_png(const std::string& path, const Image& image);

}  // namespace glia::io
