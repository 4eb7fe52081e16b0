// Dense (fully connected) layer: weight {out, in} (Glorot-uniform), bias {out} (zeros).
#pragma once

#include "glia/nn/init.hpp"
#include "glia/nn/module.hpp"
#include "glia/ops/linear.hpp"

namespace glia::nn {

class Dense : public Module {
 public:
  Dense(int64_t in_features, int64_t out_features, bool bias = true, Rng& rng = default_rng()) {
    check_arg(in_features > 0 && out_features > 0, "Dense", "sizes must be positive, got in ",
              in_features, " out ", out_features);
    weight_ = glorot_uniform({out_features, in_features}, in_features, out_features, rng)
                  .requires_grad(true);
    if (bias) bias_ = Tensor::zeros({out_features}).requires_grad(true);
  }

  Tensor forward(const Tensor& x) override { return linear(x, weight_, bias_); }

  Shape output_shape(const Shape& in) const override {
    check_arg(in.size() == 2 && in[1] == weight_.size(1), "Dense", "expects {N, ", weight_.size(1),
              "}, got ", shape_str(in));
    return {in[0], weight_.size(0)};
  }
  std::string type_name() const override { return "Dense"; }

  std::vector<NamedTensor> named_parameters() const override {
    std::vector<NamedTensor> p{{"weight", weight_}};
    if (bias_.defined()) p.push_back({"bias", bias_});
    return p;
  }

  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }

 private:
  Tensor weight_, bias_;
};

}  // namespace glia::nn
