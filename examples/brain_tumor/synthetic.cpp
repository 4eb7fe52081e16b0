#include "synthetic.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace brain_tumor {
namespace {

// True inside the ellipse centred (cx, cy) with semi-axes (a, b), rotated by `angle`.
bool inside(double x, double y, double cx, double cy, double a, double b, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  const double u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c;
  return (u * u) / (a * a) + (v * v) / (b * b) <= 1.0;
}

}  // namespace

Image synthetic_scan(bool lesion, glia::Rng& rng, int width, int height) {
  Image image(width, height, 3);
  const double cx = width * rng.uniform(0.42f, 0.58f), cy = height * rng.uniform(0.42f, 0.58f);
  const double a = width * rng.uniform(0.28f, 0.36f), b = height * rng.uniform(0.32f, 0.42f);
  const double angle = rng.uniform(-0.3f, 0.3f);
  const double tissue = rng.uniform(90.0f, 140.0f);
  // The lesion sits inside the head, away from its rim.
  const double r = rng.uniform(0.0f, 0.55f), phi = rng.uniform(0.0f, 6.2831853f);
  const double lx = cx + r * a * std::cos(phi), ly = cy + r * b * std::sin(phi);
  const double la = width * rng.uniform(0.05f, 0.09f), lb = height * rng.uniform(0.05f, 0.09f);
  const double bright = rng.uniform(70.0f, 110.0f);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      double v = rng.uniform(0.0f, 25.0f);  // scanner noise on the background
      if (inside(x, y, cx, cy, a, b, angle)) {
        v = tissue + 25.0 * std::sin(x * 0.07) * std::cos(y * 0.05) + rng.normal(0.0f, 12.0f);
        if (!inside(x, y, cx, cy, a * 0.92, b * 0.92, angle)) v += 60.0;  // skull rim
        if (lesion && inside(x, y, lx, ly, la, lb, angle)) v += bright;
      }
      const auto g = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
      for (int c = 0; c < 3; ++c) image.at(y, x, c) = g;
    }
  }
  return image;
}

SyntheticSet make_synthetic_set(int per_class, uint64_t seed) {
  SyntheticSet set;
  glia::Rng rng(seed);
  for (int label : {0, 1}) {
    for (int i = 0; i < per_class; ++i) {
      char name[64];
      std::snprintf(name, sizeof(name), "synthetic/%s/%03d.png", label ? "yes" : "no", i);
      ImageRef ref;
      ref.relative = name;
      ref.label = label;
      ref.scan_key = std::to_string(label) + "/" + std::to_string(i);
      set.refs.push_back(ref);
      set.images.push_back(synthetic_scan(label == 1, rng));
    }
  }
  return set;
}

}  // namespace brain_tumor
