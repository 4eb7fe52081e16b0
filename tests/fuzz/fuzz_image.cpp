// libFuzzer target: image decoding (JPEG by libjpeg-turbo, PNG by libpng, BMP and PNM by
// stb_image) as glia drives them, with a 512 x 512 pixel limit so that each input stays cheap.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <glia/io/image.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (int channels : {3, 1}) {
    try {
      const glia::io::Image image = glia::io::decode_image(bytes, "fuzz", channels, 1 << 18);
      if (image.pixels.size() != static_cast<size_t>(image.width) * image.height * channels)
        __builtin_trap();
    } catch (const std::runtime_error&) {
    }
  }
  return 0;
}
