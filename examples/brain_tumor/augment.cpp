#include "augment.hpp"

#include <algorithm>
#include <cmath>

namespace brain_tumor {

AugmentParams draw_augment_params(const AugmentSettings& s, int height, int width, glia::Rng& rng) {
  constexpr float kPi = 3.14159265358979f;
  AugmentParams p;
  p.theta = rng.uniform(-s.rotation_degrees, s.rotation_degrees) * kPi / 180.0f;
  p.tx = rng.uniform(-s.height_shift, s.height_shift) * static_cast<float>(height);
  p.ty = rng.uniform(-s.width_shift, s.width_shift) * static_cast<float>(width);
  p.shear = rng.uniform(-s.shear, s.shear);
  p.flip_horizontal = s.horizontal_flip && rng.uniform() < 0.5f;
  p.flip_vertical = s.vertical_flip && rng.uniform() < 0.5f;
  p.brightness = rng.uniform(s.brightness_low, s.brightness_high);
  return p;
}

void augment_into(const glia::io::Image& image, const AugmentParams& p, float* out) {
  const int h = image.height, w = image.width, channels = image.channels;
  // M = rotation * shift * shear acting on (row, col); applied about the centre as Keras does
  // (transform_matrix_offset_center with o = size / 2 + 0.5). Maps output to input coordinates.
  const double c = std::cos(p.theta), s = std::sin(p.theta);
  const double sh_s = -std::sin(p.shear), sh_c = std::cos(p.shear);
  // rotation * shift
  const double m00 = c, m01 = -s, m02 = c * p.tx - s * p.ty;
  const double m10 = s, m11 = c, m12 = s * p.tx + c * p.ty;
  // (rotation * shift) * shear
  const double a00 = m00, a01 = m00 * sh_s + m01 * sh_c;
  const double a10 = m10, a11 = m10 * sh_s + m11 * sh_c;
  const double orow = h / 2.0 + 0.5, ocol = w / 2.0 + 0.5;
  const double b0 = m02 + orow - (a00 * orow + a01 * ocol);
  const double b1 = m12 + ocol - (a10 * orow + a11 * ocol);
  const float scale = p.brightness / 255.0f;
  const size_t plane = static_cast<size_t>(h) * w;

  for (int r = 0; r < h; ++r) {
    for (int col = 0; col < w; ++col) {
      const double sr = std::clamp(a00 * r + a01 * col + b0, 0.0, h - 1.0);
      const double sc = std::clamp(a10 * r + a11 * col + b1, 0.0, w - 1.0);
      const int r0 = static_cast<int>(sr), c0 = static_cast<int>(sc);
      const int r1 = std::min(r0 + 1, h - 1), c1 = std::min(c0 + 1, w - 1);
      const float fr = static_cast<float>(sr - r0), fc = static_cast<float>(sc - c0);
      const int out_r = p.flip_vertical ? h - 1 - r : r;
      const int out_c = p.flip_horizontal ? w - 1 - col : col;
      for (int ch = 0; ch < channels; ++ch) {
        const float v = (1 - fr) * ((1 - fc) * image.at(r0, c0, ch) + fc * image.at(r0, c1, ch)) +
                        fr * ((1 - fc) * image.at(r1, c0, ch) + fc * image.at(r1, c1, ch));
        out[ch * plane + static_cast<size_t>(out_r) * w + out_c] = std::min(v * scale, 1.0f);
      }
    }
  }
}

glia::Rng augment_rng(uint64_t seed, uint64_t epoch, uint64_t sample) {
  // Mix the three with distinct odd multipliers; Rng's splitmix seeding spreads the bits.
  return glia::Rng(seed * 0x9E3779B97F4A7C15ull ^ (epoch + 1) * 0xC2B2AE3D27D4EB4Full ^
                   (sample + 1) * 0x165667B19E3779F9ull);
}

}  // namespace brain_tumor
