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

/// relu in place: overwrites x's values and returns them as a new result (the autograd graph
/// continues from the returned tensor, not from x). Equal to relu(x) bit for bit, without a
/// new buffer; for the code that builds a model to choose where nothing else reads x afterwards
/// (nn::ReLU(nn::in_place)), as PyTorch's inplace=True. Refuses a leaf that requires grad.
/// Both passes keep a bit mask of x > 0, not x.
Tensor relu_(const Tensor& x);

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
