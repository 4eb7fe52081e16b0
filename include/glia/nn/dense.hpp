/// @file
/// Dense (fully connected) layer: weight {out, in} (Glorot-uniform), bias {out} (zeros), over
/// linear().
#pragma once

#include "glia/nn/init.hpp"
#include "glia/nn/module.hpp"
#include "glia/ops/linear.hpp"

namespace glia::nn {

/// Fully connected layer: y = x W^T + b for {N, in} inputs.
class Dense : public Cloneable<Dense> {
 public:
  /// Weights drawn from `rng`; needs positive sizes (std::invalid_argument otherwise).
  Dense(int64_t in_features, int64_t out_features, bool bias = true, Rng& rng = default_rng())
      : has_bias_(bias) {
    check_arg(in_features > 0 && out_features > 0, "Dense", "sizes must be positive, got in ",
              in_features, " out ", out_features);
    register_parameter("weight",
                       glorot_uniform({out_features, in_features}, in_features, out_features, rng));
    if (bias) register_parameter("bias", Tensor::zeros({out_features}));
  }

  Tensor forward(const Tensor& x) override { return linear(x, weight(), bias()); }
  Shape output_shape(const Shape& in) const override {
    return linear_output_shape(in, weight().shape(), "Dense");
  }
  std::string type_name() const override { return "Dense"; }

  ///@{
  /// The layer's tensors (shared with it: writing to them changes the layer) and sizes.
  Tensor weight() const { return parameter(0); }
  Tensor bias() const { return has_bias_ ? parameter(1) : Tensor(); }  ///< undefined without one
  int64_t in_features() const { return weight().size(1); }
  int64_t out_features() const { return weight().size(0); }
  ///@}

 private:
  bool has_bias_;
};

}  // namespace glia::nn
