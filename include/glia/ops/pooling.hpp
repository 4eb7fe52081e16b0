/// @file
/// Pooling over square windows, floor mode, no padding (Keras' padding='valid', PyTorch's
/// defaults).
///
/// Shapes: x {N, C, H, W} -> y {N, C, OH, OW}, OH = (H - kernel) / stride + 1, likewise OW
/// (pool2d_output_shape, which the layers use too); stride defaults to the kernel size.
/// max_pool2d: the window maximum; the gradient goes to the window's first maximum in raster
///   order.
/// avg_pool2d: the window mean; every element of the window receives g / kernel^2.
/// global_avg_pool2d: x {N, C, H, W} -> {N, C, 1, 1}, the mean of each plane (as
///   adaptive_avg_pool2d(x, 1)).
#pragma once

#include "glia/tensor/tensor.hpp"

namespace glia {

/// The output shape of a pooling op; throws std::invalid_argument naming `op` for bad arguments.
Shape pool2d_output_shape(const Shape& x, int64_t kernel, int64_t stride, const char* op);

/// The maximum of each window.
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0);
/// The mean of each window.
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0);
/// The mean of each (n, c) plane, {N, C, 1, 1}.
Tensor global_avg_pool2d(const Tensor& x);

}  // namespace glia
