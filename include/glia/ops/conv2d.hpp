/// @file
/// 2-D convolution (cross-correlation, as in every DL framework).
///
/// Shapes: x {N, C, H, W}, weight {O, C, KH, KW}, bias {O} or undefined -> y {N, O, OH, OW},
/// OH = (H + 2*padding - KH) / stride + 1 (floor), likewise OW. Zero padding on all four sides.
///
/// The kernels run the ISA glia::active_isa() names (glia/support/cpu.hpp): tuned AVX-512 or
/// AVX2 kernels, or the portable reference path (im2col + Eigen) that they are tested against.
/// The three directions are exposed for benchmarks and tests; use conv2d() in models.
#pragma once

#include <utility>

#include "glia/tensor/tensor.hpp"

namespace glia {

/// Records on the tape when needed; gradients are computed only for inputs that require them.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1,
              int64_t padding = 0);

/// The output shape {N, O, OH, OW}; throws std::invalid_argument naming the shapes when they do
/// not fit together. The op and nn::Conv2d both use it.
/// `op` names the caller in errors.
Shape conv2d_output_shape(const Shape& x, const Shape& weight, int64_t stride, int64_t padding,
                          const char* op = "conv2d");

/// The same checks on tensors, and the bias; throws std::invalid_argument.
void conv2d_check_args(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                       int64_t padding);

/// y {N, O, OH, OW} from x, weight and bias, without recording (the forward direction).
Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                      int64_t padding);
/// dL/dx {N, C, H, W} from dL/dy.
Tensor conv2d_backward_input(const Tensor& grad_y, const Tensor& weight, const Shape& x_shape,
                             int64_t stride, int64_t padding);
/// {dL/dweight, dL/dbias}; the bias gradient is undefined unless with_bias.
std::pair<Tensor, Tensor> conv2d_backward_weights(const Tensor& grad_y, const Tensor& x,
                                                  const Shape& weight_shape, int64_t stride,
                                                  int64_t padding, bool with_bias);

/// How a convolution is computed where there is a choice (on the AVX2 and AVX-512 kernels):
/// `automatic` picks per shape: Winograd by the rule in conv2d_algorithm(); channels-last
/// kernels for the weight gradient wherever both channel counts fill its register blocks to at
/// least 80%, and for strided 3x3 forward passes and stride-1 input gradients that Winograd
/// leaves (docs/performance.md has the measurements behind each rule); else the im2col-free
/// kernels. `direct` always runs the kernels of glia before Winograd and the channels-last
/// kernels, bit for bit, for reproducing older runs; `winograd` runs Winograd F(4x4, 3x3) wherever it applies. The
/// environment variable GLIA_CONV=auto|direct|winograd sets it at start-up.
enum class ConvAlgorithm { automatic, direct, winograd };
/// Sets the choice for every later convolution.
void set_conv_algorithm(ConvAlgorithm algorithm);
/// The choice in force (GLIA_CONV, unless set_conv_algorithm() was called).
ConvAlgorithm conv_algorithm();
/// What runs forward for x {N, C, H, W} and weight {O, C, KH, KW} at this stride and padding:
/// "winograd", "direct", or "reference" (on CPUs without AVX2). The automatic rule takes Winograd
/// for a 3x3 stride-1 convolution with padding 0 to 2, at least 16 input and output channels and
/// at least 100 output positions per image (the weight gradient: at least 32 input channels);
/// elsewhere its transforms cost more than the multiplications it saves (docs/performance.md).
const char* conv2d_algorithm(const Shape& x, const Shape& weight, int64_t stride,
                             int64_t padding);

}  // namespace glia
