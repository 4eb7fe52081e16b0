// Activations: relu and sigmoid. Shapes: x any shape -> same shape.
//
// Compiled into libglia (src/ops/activation.cpp) rather than inline: they run over the largest
// activations, and there they get the library's vectorisation flags whatever the caller's are.
#pragma once

#include "glia/tensor/tensor.hpp"

namespace glia {

Tensor relu(const Tensor& x);

// Overwrites x when the caller gives it up and nothing else holds its data (not a leaf that
// requires grad, whose data is a parameter); otherwise like relu(const Tensor&). The backward
// pass keeps a byte mask, not the output.
Tensor relu(Tensor&& x);

// 1 / (1 + e^-x), evaluated so that neither branch overflows for large |x|.
Tensor sigmoid(const Tensor& x);

}  // namespace glia
