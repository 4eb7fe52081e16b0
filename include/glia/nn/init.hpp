/// @file
/// Weight initialisers.
#pragma once

#include <cmath>

#include "glia/tensor/tensor.hpp"

namespace glia::nn {

/// Glorot (Xavier) uniform, Keras' default kernel initialiser: U(-l, l), l = sqrt(6 / (in + out)).
inline Tensor glorot_uniform(const Shape& shape, int64_t fan_in, int64_t fan_out, Rng& rng) {
  const float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
  return Tensor::rand(shape, rng, -limit, limit);
}

}  // namespace glia::nn
