// libFuzzer target: brain_tumor's preprocessing (crop_brain_contour, then the bicubic resize)
// on any image: the first 4 bytes give the width, height and output size, the rest the pixels.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "preprocess.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const int width = 1 + data[0] % 64, height = 1 + data[1] % 64;
  const int out_w = 1 + data[2] % 48, out_h = 1 + data[3] % 48;
  brain_tumor::Image bgr(width, height, 3);
  for (size_t i = 0; i < bgr.pixels.size(); ++i)
    bgr.pixels[i] = size > 4 ? data[4 + i % (size - 4)] : 0;
  const brain_tumor::CropResult cropped = brain_tumor::crop_brain_contour(bgr);
  if (cropped.image.width < 1 || cropped.image.height < 1 || cropped.image.width > width ||
      cropped.image.height > height)
    __builtin_trap();
  const brain_tumor::Image resized = brain_tumor::resize_bicubic(cropped.image, out_w, out_h);
  if (resized.width != out_w || resized.height != out_h) __builtin_trap();
  return 0;
}
