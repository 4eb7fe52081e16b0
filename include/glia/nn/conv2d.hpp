/// @file
/// Conv2d layer: weight {out, in, k, k} (Glorot-uniform), bias {out} (zeros), over conv2d().
#pragma once

#include "glia/nn/init.hpp"
#include "glia/nn/module.hpp"
#include "glia/ops/conv2d.hpp"

namespace glia::nn {

/// 2-D convolution of {N, in, H, W} inputs with square kernels, one stride and one zero padding
/// for both axes (conv2d()).
class Conv2d : public Module {
 public:
  /// Weights drawn from `rng`; needs positive sizes, stride >= 1 and padding >= 0
  /// (std::invalid_argument otherwise).
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         int64_t padding = 0, bool bias = true, Rng& rng = default_rng())
      : stride_(stride), padding_(padding) {
    check_arg(in_channels > 0 && out_channels > 0 && kernel > 0, "Conv2d",
              "channels and kernel must be positive, got in ", in_channels, " out ", out_channels,
              " kernel ", kernel);
    check_arg(stride >= 1 && padding >= 0, "Conv2d", "needs stride >= 1 and padding >= 0, got ",
              stride, " and ", padding);
    const int64_t area = kernel * kernel;
    weight_ =
        register_parameter("weight", glorot_uniform({out_channels, in_channels, kernel, kernel},
                                                    in_channels * area, out_channels * area, rng));
    if (bias) bias_ = register_parameter("bias", Tensor::zeros({out_channels}));
  }

  Tensor forward(const Tensor& x) override { return conv2d(x, weight_, bias_, stride_, padding_); }
  Shape output_shape(const Shape& in) const override {
    return conv2d_output_shape(in, weight_.shape(), stride_, padding_, "Conv2d");
  }
  std::string type_name() const override { return "Conv2d"; }

  ///@{
  /// The layer's tensors (shared with it: writing to them changes the layer) and settings.
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }  ///< undefined without a bias
  int64_t in_channels() const { return weight_.size(1); }
  int64_t out_channels() const { return weight_.size(0); }
  int64_t kernel_size() const { return weight_.size(2); }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }
  ///@}

 private:
  Tensor weight_, bias_;
  int64_t stride_, padding_;
};

}  // namespace glia::nn
