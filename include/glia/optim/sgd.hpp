// Stochastic gradient descent with momentum, in PyTorch's form:
//   buf = momentum * buf + g  (buf = g on the first step),  p -= lr * buf
#pragma once

#include "glia/optim/optimizer.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia::optim {

struct SGDOptions {
  float lr = 1e-2f;
  float momentum = 0.0f;
  float weight_decay = 0.0f;
};

class SGD : public Optimizer {
 public:
  explicit SGD(std::vector<Tensor> params, SGDOptions options = {})
      : Optimizer(std::move(params)), options_(options), buffers_(params_.size()) {
    check_arg(options.lr >= 0.0f, "SGD", "learning rate must be non-negative, got ", options.lr);
    check_arg(options.momentum >= 0.0f, "SGD", "momentum must be non-negative, got ",
              options.momentum);
  }

  void step() override {
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor grad = params_[i].grad();
      if (!grad.defined()) continue;
      auto p = as_array(params_[i]);
      Eigen::ArrayXf g = as_array(grad);
      if (options_.weight_decay != 0.0f) g += options_.weight_decay * p;
      if (options_.momentum != 0.0f) {
        if (!buffers_[i].defined()) {
          buffers_[i] = Tensor::empty(params_[i].shape());
          as_array(buffers_[i]) = g;
        } else {
          as_array(buffers_[i]) = options_.momentum * as_array(buffers_[i]) + g;
        }
        g = as_array(buffers_[i]);
      }
      p -= options_.lr * g;
    }
  }

 private:
  SGDOptions options_;
  std::vector<Tensor> buffers_;
};

}  // namespace glia::optim
