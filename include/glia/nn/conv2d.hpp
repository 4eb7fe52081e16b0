// Conv2d layer: weight {out, in, k, k} (Glorot-uniform), bias {out} (zeros).
#pragma once

#include "glia/autograd/node.hpp"
#include "glia/nn/init.hpp"
#include "glia/nn/module.hpp"
#include "glia/ops/conv2d.hpp"

namespace glia::nn {

class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1,
         int64_t padding = 0, bool bias = true, Rng& rng = default_rng())
      : stride_(stride), padding_(padding) {
    check_arg(in_channels > 0 && out_channels > 0 && kernel > 0, "Conv2d",
              "channels and kernel must be positive, got in ", in_channels, " out ", out_channels,
              " kernel ", kernel);
    check_arg(stride >= 1 && padding >= 0, "Conv2d", "needs stride >= 1 and padding >= 0, got ",
              stride, " and ", padding);
    const int64_t area = kernel * kernel;
    weight_ = glorot_uniform({out_channels, in_channels, kernel, kernel}, in_channels * area,
                             out_channels * area, rng)
                  .requires_grad(true);
    if (bias) bias_ = Tensor::zeros({out_channels}).requires_grad(true);
  }

  Tensor forward(const Tensor& x) override { return conv2d(x, weight_, bias_, stride_, padding_); }

  Shape output_shape(const Shape& in) const override {
    check_arg(in.size() == 4 && in[1] == weight_.size(1), "Conv2d", "expects {N, ", weight_.size(1),
              ", H, W}, got ", shape_str(in));
    const int64_t kh = weight_.size(2), kw = weight_.size(3);
    check_arg(kh <= in[2] + 2 * padding_ && kw <= in[3] + 2 * padding_, "Conv2d", "kernel ", kh,
              "x", kw, " is larger than the padded input ", shape_str(in));
    return {in[0], weight_.size(0), (in[2] + 2 * padding_ - kh) / stride_ + 1,
            (in[3] + 2 * padding_ - kw) / stride_ + 1};
  }
  std::string type_name() const override { return "Conv2d"; }

  std::vector<NamedTensor> named_parameters() const override {
    std::vector<NamedTensor> p{{"weight", weight_}};
    if (bias_.defined()) p.push_back({"bias", bias_});
    return p;
  }

  Tensor& weight() { return weight_; }
  Tensor& bias() { return bias_; }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 private:
  Tensor weight_, bias_;
  int64_t stride_, padding_;
};

}  // namespace glia::nn
