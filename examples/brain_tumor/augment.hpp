// Online augmentation with the seed's Keras ImageDataGenerator settings.
#pragma once

#include <cstdint>

#include <glia/io/image.hpp>
#include <glia/tensor/rng.hpp>

namespace brain_tumor {

// The seed's settings: rotation_range=10, width_shift_range=0.1, height_shift_range=0.1,
// shear_range=0.1, brightness_range=(0.3, 1.0), horizontal_flip, vertical_flip,
// fill_mode='nearest'.
struct AugmentSettings {
  float rotation_degrees = 10.0f;
  float width_shift = 0.1f;   // fraction of the width
  float height_shift = 0.1f;  // fraction of the height
  float shear = 0.1f;         // radians, as in Keras 2.1 (later Keras reads it as degrees)
  float brightness_low = 0.3f, brightness_high = 1.0f;
  bool horizontal_flip = true, vertical_flip = true;
};

// One draw of the random parameters, in Keras' order.
struct AugmentParams {
  float theta = 0, tx = 0, ty = 0, shear = 0, brightness = 1;  // radians, rows, columns, radians
  bool flip_horizontal = false, flip_vertical = false;
};

AugmentParams draw_augment_params(const AugmentSettings& s, int height, int width, glia::Rng& rng);

// Applies Keras' random_transform with these parameters: the affine map about the image centre
// (rotation * shift * shear), bilinear sampling with edge replication ('nearest' fill), the
// flips, then the brightness factor (clipped to [0, 255]). Writes floats in [0, 1], CHW,
// into `out` (channels * height * width values).
void augment_into(const glia::io::Image& image, const AugmentParams& p, float* out);

// A generator per (seed, epoch, sample): the same draw whatever the thread count or order.
glia::Rng augment_rng(uint64_t seed, uint64_t epoch, uint64_t sample);

}  // namespace brain_tumor
