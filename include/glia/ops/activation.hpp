/// @file
/// Activations: relu, leaky_relu, tanh and sigmoid. Shapes: x any shape -> same shape.
///
/// Compiled into libglia (src/ops/activation.cpp) rather than inline: they run over the largest
/// activations, and there they get the library's vectorisation flags whatever the caller's are.
#pragma once

#include <cmath>

#include "glia/tensor/tensor.hpp"

namespace glia {

/// max(x, 0) elementwise.
Tensor relu(const Tensor& x);

/// Overwrites x when the caller gives it up and nothing else holds its data (not a leaf that
/// requires grad, whose data is a parameter); otherwise like relu(const Tensor&). The backward
/// pass keeps a byte mask, not the output.
Tensor relu(Tensor&& x);

/// x where x > 0, negative_slope * x elsewhere (torch.nn.functional.leaky_relu).
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);

/// tanh(x) elementwise.
Tensor tanh(const Tensor& x);

/// 1 / (1 + e^-z), evaluated so that neither branch overflows for large |z|: the one sigmoid
/// of glia (the tensor op, the BCE gradient and the metrics all use it).
template <class Real>
Real sigmoid(Real z) {
  const Real e = std::exp(-std::fabs(z));
  return z >= Real(0) ? Real(1) / (Real(1) + e) : e / (Real(1) + e);
}

/// sigmoid(z) of each element.
Tensor sigmoid(const Tensor& x);

}  // namespace glia
