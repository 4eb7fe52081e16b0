// BatchNorm2d layer: gamma (ones) and beta (zeros) are trained; running_mean (zeros) and
// running_var (ones) are buffers. Defaults follow the seed network's Keras layer
// (epsilon 1e-3, momentum 0.99 in Keras' convention = 0.01 here).
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/batch_norm.hpp"

namespace glia::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, float eps = 1e-3f, float momentum = 0.01f)
      : eps_(eps), momentum_(momentum) {
    check_arg(channels > 0, "BatchNorm2d", "channels must be positive, got ", channels);
    gamma_ = Tensor::ones({channels}).requires_grad(true);
    beta_ = Tensor::zeros({channels}).requires_grad(true);
    running_mean_ = Tensor::zeros({channels});
    running_var_ = Tensor::ones({channels});
  }

  Tensor forward(const Tensor& x) override {
    return batch_norm(x, gamma_, beta_, running_mean_, running_var_, training_, momentum_, eps_);
  }
  Tensor forward_owned(Tensor x) override {
    return batch_norm(std::move(x), gamma_, beta_, running_mean_, running_var_, training_,
                      momentum_, eps_);
  }

  Shape output_shape(const Shape& in) const override {
    check_arg((in.size() == 4 || in.size() == 2) && in[1] == gamma_.size(0), "BatchNorm2d",
              "expects {N, ", gamma_.size(0), ", ...}, got ", shape_str(in));
    return in;
  }
  std::string type_name() const override { return "BatchNorm2d"; }

  std::vector<NamedTensor> named_parameters() const override {
    return {{"gamma", gamma_}, {"beta", beta_}};
  }
  std::vector<NamedTensor> named_buffers() const override {
    return {{"running_mean", running_mean_}, {"running_var", running_var_}};
  }

  Tensor& gamma() { return gamma_; }
  Tensor& beta() { return beta_; }
  Tensor& running_mean() { return running_mean_; }
  Tensor& running_var() { return running_var_; }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }

 private:
  Tensor gamma_, beta_, running_mean_, running_var_;
  float eps_, momentum_;
};

}  // namespace glia::nn
