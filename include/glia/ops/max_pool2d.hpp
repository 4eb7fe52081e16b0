// Max pooling over square windows, floor mode (Keras' padding='valid').
//
// Shapes: x {N, C, H, W} -> y {N, C, (H - kernel) / stride + 1, (W - kernel) / stride + 1}.
// stride defaults to the kernel size. The gradient goes to the first maximum of each window.
#pragma once

#include "glia/tensor/tensor.hpp"

namespace glia {

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0);

}  // namespace glia
