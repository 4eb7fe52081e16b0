// 2-D convolution (cross-correlation, as in every DL framework) by im2col + GEMM.
//
// Shapes: x {N, C, H, W}, weight {O, C, KH, KW}, bias {O} or undefined -> y {N, O, OH, OW},
// OH = (H + 2*padding - KH) / stride + 1 (floor), likewise OW. Zero padding on all four sides.
//
// The kernels are exposed for benchmarks and tests; use conv2d() in models.
#pragma once

#include <utility>

#include "glia/tensor/tensor.hpp"

namespace glia {

// Records on the tape when needed; gradients are computed only for inputs that require them.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
              int64_t padding = 0);

// The output shape {N, O, OH, OW}; throws std::invalid_argument naming the shapes when they do
// not fit together. The op and nn::Conv2d both use it.
// `op` names the caller in errors.
Shape conv2d_output_shape(const Shape& x, const Shape& weight, int64_t stride, int64_t padding,
                          const char* op = "conv2d");

// The same checks on tensors, and the bias; throws std::invalid_argument.
void conv2d_check_args(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                       int64_t padding);

Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                      int64_t padding);
// dL/dx {N, C, H, W} from dL/dy.
Tensor conv2d_backward_input(const Tensor& grad_y, const Tensor& weight, const Shape& x_shape,
                             int64_t stride, int64_t padding);
// {dL/dweight, dL/dbias}; the bias gradient is undefined unless with_bias.
std::pair<Tensor, Tensor> conv2d_backward_weights(const Tensor& grad_y, const Tensor& x,
                                                  const Shape& weight_shape, int64_t stride,
                                                  int64_t padding, bool with_bias);

// Which GEMM kernels conv2d uses. `automatic` (the default) picks the AVX2 + FMA kernels when
// the CPU has them; `reference` is the plain Eigen path the tuned kernels are tested against.
enum class ConvKernel { automatic, reference, avx2 };
void set_conv_kernel(ConvKernel kernel);  // throws std::invalid_argument for avx2 without AVX2
ConvKernel active_conv_kernel();          // reference or avx2

}  // namespace glia
