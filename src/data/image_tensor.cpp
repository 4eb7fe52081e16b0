#include "glia/data/image_tensor.hpp"

namespace glia::data {

void image_to_chw(const io::Image& image, float* out, const ImageToTensor& options) {
  const size_t plane = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  const size_t channels = static_cast<size_t>(image.channels);
  check_arg(image.pixels.size() == plane * channels, "image_to_chw", "image of ", image.width, "x",
            image.height, "x", image.channels, " holds ", image.pixels.size(), " bytes");
  const uint8_t* src = image.pixels.data();
  for (size_t p = 0; p < plane; ++p) {
    for (size_t c = 0; c < channels; ++c) {
      const size_t from = options.reverse_channels ? channels - 1 - c : c;
      out[c * plane + p] = src[p * channels + from] * options.scale;
    }
  }
}

Tensor image_to_tensor(const io::Image& image, const ImageToTensor& options) {
  Tensor t = Tensor::empty({image.channels, image.height, image.width});
  image_to_chw(image, t.data(), options);
  return t;
}

}  // namespace glia::data
