// Adam (Kingma & Ba), in PyTorch's form:
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Keras puts eps outside the bias correction instead; the difference is O(eps).
#pragma once

#include <cmath>

#include "glia/optim/optimizer.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia::optim {

struct AdamOptions {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-7f;          // Keras' default (PyTorch's is 1e-8)
  float weight_decay = 0.0f;  // L2 penalty added to the gradient, as torch.optim.Adam
};

class Adam : public Optimizer {
 public:
  explicit Adam(std::vector<Tensor> params, AdamOptions options = {})
      : Optimizer(std::move(params)), options_(options) {
    check_arg(options.lr >= 0.0f, "Adam", "learning rate must be non-negative, got ", options.lr);
    check_arg(options.beta1 >= 0.0f && options.beta1 < 1.0f && options.beta2 >= 0.0f &&
                  options.beta2 < 1.0f,
              "Adam", "betas must be in [0, 1), got ", options.beta1, " and ", options.beta2);
    check_arg(options.eps >= 0.0f, "Adam", "eps must be non-negative, got ", options.eps);
    for (const Tensor& p : params_) {
      m_.push_back(Tensor::zeros(p.shape()));
      v_.push_back(Tensor::zeros(p.shape()));
    }
  }

  void step() override {
    ++steps_;
    const double correction1 = 1.0 - std::pow(static_cast<double>(options_.beta1), steps_);
    const double correction2 = 1.0 - std::pow(static_cast<double>(options_.beta2), steps_);
    const float step_size = static_cast<float>(options_.lr / correction1);
    const float sqrt_correction2 = static_cast<float>(std::sqrt(correction2));
    const float b1 = options_.beta1, b2 = options_.beta2;
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor grad = params_[i].grad();
      if (!grad.defined()) continue;
      auto p = as_array(params_[i]);
      auto m = as_array(m_[i]);
      auto v = as_array(v_[i]);
      Eigen::ArrayXf g = as_array(grad);
      if (options_.weight_decay != 0.0f) g += options_.weight_decay * p;
      m = b1 * m + (1.0f - b1) * g;
      v = b2 * v + (1.0f - b2) * g.square();
      p -= step_size * m / (v.sqrt() / sqrt_correction2 + options_.eps);
    }
  }

  const AdamOptions& options() const { return options_; }
  int64_t steps() const { return steps_; }

 private:
  AdamOptions options_;
  std::vector<Tensor> m_, v_;
  int64_t steps_ = 0;
};

}  // namespace glia::optim
