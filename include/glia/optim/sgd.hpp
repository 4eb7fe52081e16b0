/// @file
/// Stochastic gradient descent with momentum, in PyTorch's form:
///   buf = momentum * buf + g  (buf starts at zero, so it is g after the first step),
///   p -= lr * buf
#pragma once

#include <string>

#include "glia/optim/optimizer.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia::optim {

/// SGD's settings (torch.optim.SGD's meaning).
struct SGDOptions {
  /// learning rate
  float lr = 1e-2f;
  /// momentum factor; 0 is plain SGD
  float momentum = 0.0f;
  /// L2 penalty added to the gradient
  float weight_decay = 0.0f;
};

/// Stochastic gradient descent with optional momentum, as torch.optim.SGD.
class SGD : public Optimizer {
 public:
  /// Throws std::invalid_argument for a negative rate, momentum or weight decay.
  explicit SGD(std::vector<Tensor> params, SGDOptions options = {})
      : Optimizer(std::move(params)), options_(options) {
    check_lr(options.lr, "SGD");
    check_arg(options.momentum >= 0.0f, "SGD", "momentum must be non-negative, got ",
              options.momentum);
    for (const Tensor& p : params_) buffers_.push_back(Tensor::zeros(p.shape()));
  }

  void step() override {
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor grad = params_[i].grad();
      if (!grad.defined()) continue;
      auto p = as_array(params_[i]);
      Eigen::ArrayXf g = as_array(grad);
      if (options_.weight_decay != 0.0f) g += options_.weight_decay * p;
      if (options_.momentum != 0.0f) {
        auto buf = as_array(buffers_[i]);
        buf = options_.momentum * buf + g;
        g = buf;
      }
      p -= options_.lr * g;
    }
  }

  float lr() const override { return options_.lr; }
  void set_lr(float lr) override {
    check_lr(lr, "SGD");
    options_.lr = lr;
  }
  /// "momentum.<i>" per parameter.
  std::vector<NamedTensor> state() const override {
    std::vector<NamedTensor> s;
    for (size_t i = 0; i < buffers_.size(); ++i)
      s.push_back({"momentum." + std::to_string(i), buffers_[i]});
    return s;
  }

 private:
  SGDOptions options_;
  std::vector<Tensor> buffers_;
};

}  // namespace glia::optim
