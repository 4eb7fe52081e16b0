/// @file
/// Conv2d layer: weight {out, in, k, k} (Glorot-uniform), bias {out} (zeros), over conv2d().
#pragma once

#include "glia/nn/init.hpp"
#include "glia/nn/module.hpp"
#include "glia/ops/conv2d.hpp"

namespace glia::nn {

/// 2-D convolution of {N, in, H, W} inputs with square kernels, one stride and one zero padding
/// for both axes (conv2d()).
class Conv2d : public Cloneable<Conv2d> {
 public:
  /// Weights drawn from `rng`; needs positive sizes, stride >= 1 and padding >= 0
  /// (std::invalid_argument otherwise).
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         int64_t padding = 0, bool bias = true, Rng& rng = default_rng())
      : stride_(stride), padding_(padding), has_bias_(bias) {
    check_arg(in_channels > 0 && out_channels > 0 && kernel > 0, "Conv2d",
              "channels and kernel must be positive, got in ", in_channels, " out ", out_channels,
              " kernel ", kernel);
    check_arg(stride >= 1 && padding >= 0, "Conv2d", "needs stride >= 1 and padding >= 0, got ",
              stride, " and ", padding);
    const int64_t area = kernel * kernel;
    register_parameter("weight", glorot_uniform({out_channels, in_channels, kernel, kernel},
                                                in_channels * area, out_channels * area, rng));
    if (bias) register_parameter("bias", Tensor::zeros({out_channels}));
  }

  Tensor forward(const Tensor& x) override {
    return conv2d(x, weight(), bias(), stride_, padding_);
  }
  Shape output_shape(const Shape& in) const override {
    return conv2d_output_shape(in, weight().shape(), stride_, padding_, "Conv2d");
  }
  std::string type_name() const override { return "Conv2d"; }

  ///@{
  /// The layer's tensors (shared with it: writing to them changes the layer) and settings.
  Tensor weight() const { return parameter(0); }
  Tensor bias() const { return has_bias_ ? parameter(1) : Tensor(); }  ///< undefined without one
  int64_t in_channels() const { return weight().size(1); }
  int64_t out_channels() const { return weight().size(0); }
  int64_t kernel_size() const { return weight().size(2); }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }
  ///@}

 private:
  int64_t stride_, padding_;
  bool has_bias_;
};

}  // namespace glia::nn
