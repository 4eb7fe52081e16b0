#include "shapes.hpp"

#include <algorithm>
#include <cmath>

#include <glia/tensor/rng.hpp>

namespace shapes {
namespace {

// True when point (x, y), in the shape's own frame (centred, unrotated, radius 1), is inside.
bool inside(int kind, double x, double y) {
  switch (kind) {
    case kDisc:
      return x * x + y * y <= 1.0;
    case kSquare:
      return std::fabs(x) <= 0.8 && std::fabs(y) <= 0.8;
    case kTriangle:  // equilateral, pointing up, inscribed in the unit circle
      return y <= 0.5 && y >= -1.0 + std::sqrt(3.0) * std::fabs(x);
    default:  // a cross of two bars
      return (std::fabs(x) <= 0.28 && std::fabs(y) <= 1.0) ||
             (std::fabs(y) <= 0.28 && std::fabs(x) <= 1.0);
  }
}

}  // namespace

glia::data::TensorDataset make_shapes(int64_t count, int64_t size, uint64_t seed) {
  glia::Rng rng(seed);
  glia::Tensor images = glia::Tensor::empty({count, 1, size, size});
  glia::Tensor labels = glia::Tensor::empty({count});
  const double s = static_cast<double>(size);
  for (int64_t i = 0; i < count; ++i) {
    const int kind = static_cast<int>(i % kKinds);
    const double radius = s * rng.uniform(0.22f, 0.4f);
    const double cx = rng.uniform(static_cast<float>(radius), static_cast<float>(s - radius));
    const double cy = rng.uniform(static_cast<float>(radius), static_cast<float>(s - radius));
    const double angle = rng.uniform(0.0f, 6.2831853f);
    const double background = rng.uniform(0.0f, 0.5f);
    const double contrast = rng.uniform(0.3f, 0.6f) * (rng.uniform() < 0.5f ? -1.0 : 1.0);
    const double noise = rng.uniform(0.02f, 0.1f);
    const double c = std::cos(angle), sn = std::sin(angle);
    float* pixels = images.data() + i * size * size;
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t x = 0; x < size; ++x) {
        // Into the shape's frame: shift, rotate, scale.
        const double dx = (static_cast<double>(x) + 0.5 - cx) / radius;
        const double dy = (static_cast<double>(y) + 0.5 - cy) / radius;
        const double u = c * dx + sn * dy, v = -sn * dx + c * dy;
        double value = background + (inside(kind, u, v) ? contrast : 0.0) + noise * rng.normal();
        pixels[y * size + x] = static_cast<float>(std::clamp(value, 0.0, 1.0));
      }
    }
    labels.data()[i] = static_cast<float>(kind);
  }
  return glia::data::TensorDataset(images, labels);
}

}  // namespace shapes
