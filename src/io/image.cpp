// stb_image and stb_image_write are compiled here, once, with static linkage so that they can
// never clash with another copy of stb in the program that links glia.
#include "glia/io/image.hpp"

#include <stdexcept>

#include "glia/io/atomic_file.hpp"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow=local"
#pragma GCC diagnostic ignored "-Wcast-align"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#include <stb_image.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop

namespace glia::io {

Image decode_image(const std::string& bytes, const std::string& name, int channels) {
  if (channels < 1 || channels > 4) {
    throw std::invalid_argument("glia::io::decode_image: channels must be 1 to 4, got " +
                                std::to_string(channels));
  }
  if (bytes.empty()) throw std::runtime_error("cannot decode '" + name + "': empty file");
  int w = 0, h = 0, in_channels = 0;
  stbi_uc* data =
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &in_channels, channels);
  if (!data) {
    throw std::runtime_error("cannot decode '" + name + "': " + stbi_failure_reason());
  }
  Image image;
  image.width = w;
  image.height = h;
  image.channels = channels;
  image.pixels.assign(data, data + static_cast<size_t>(w) * h * channels);
  stbi_image_free(data);
  return image;
}

Image read_image(const std::string& path, int channels) {
  return decode_image(read_file(path), path, channels);
}

void write_png(const std::string& path, const Image& image) {
  std::string encoded;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &encoded, image.width, image.height, image.channels,
                              image.pixels.data(), image.width * image.channels)) {
    throw std::runtime_error("cannot encode PNG for '" + path + "'");
  }
  write_file_atomically(path, encoded);
}

}  // namespace glia::io
