/// @file
/// Adam (Kingma & Ba) and AdamW (Loshchilov & Hutter), in PyTorch's form:
///   Adam:  g += weight_decay * p                      (an L2 penalty, as torch.optim.Adam)
///   AdamW: p *= 1 - lr * weight_decay                 (decoupled decay, as torch.optim.AdamW)
///   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
///   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
/// Keras puts eps outside the bias correction instead; the difference is O(eps).
#pragma once

#include <cmath>
#include <string>

#include "glia/optim/optimizer.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia::optim {

/// Adam's settings (defaults: Keras').
struct AdamOptions {
  ///@{
  /// learning rate and the moments' decay rates
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  ///@}
  float eps = 1e-7f;          ///< Keras' default (PyTorch's is 1e-8)
  float weight_decay = 0.0f;  ///< L2 penalty added to the gradient, as torch.optim.Adam
};

/// AdamW's settings (defaults: PyTorch's).
struct AdamWOptions {
  ///@{
  /// learning rate and the moments' decay rates
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  ///@}
  float eps = 1e-8f;           ///< PyTorch's defaults
  float weight_decay = 1e-2f;  ///< decoupled: applied to the weights, not the gradient
};

/// Adam (Kingma and Ba), as torch.optim.Adam: bias-corrected first and second moments.
class Adam : public Optimizer {
 public:
  /// Throws std::invalid_argument for a negative rate, betas outside [0, 1) or a negative eps.
  explicit Adam(std::vector<Tensor> params, AdamOptions options = {})
      : Adam(std::move(params), options, false, "Adam") {}

  void step() override {
    const int64_t t = steps() + 1;
    step_.data()[0] = static_cast<float>(t);
    const double correction1 = 1.0 - std::pow(static_cast<double>(options_.beta1), t);
    const double correction2 = 1.0 - std::pow(static_cast<double>(options_.beta2), t);
    const float step_size = static_cast<float>(options_.lr / correction1);
    const float sqrt_correction2 = static_cast<float>(std::sqrt(correction2));
    const float b1 = options_.beta1, b2 = options_.beta2;
    const float decay = options_.weight_decay;
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor grad = params_[i].grad();
      if (!grad.defined()) continue;
      auto p = as_array(params_[i]);
      auto m = as_array(m_[i]);
      auto v = as_array(v_[i]);
      Eigen::ArrayXf g = as_array(grad);
      if (decay != 0.0f) {
        if (decoupled_) {
          p *= 1.0f - options_.lr * decay;
        } else {
          g += decay * p;
        }
      }
      m = b1 * m + (1.0f - b1) * g;
      v = b2 * v + (1.0f - b2) * g.square();
      p -= step_size * m / (v.sqrt() / sqrt_correction2 + options_.eps);
    }
  }

  float lr() const override { return options_.lr; }
  void set_lr(float lr) override {
    check_lr(lr, decoupled_ ? "AdamW" : "Adam");
    options_.lr = lr;
  }
  /// "m.<i>" and "v.<i>" for parameter i, and "step" (exact up to 2^24 steps).
  std::vector<NamedTensor> state() const override {
    std::vector<NamedTensor> s;
    for (size_t i = 0; i < m_.size(); ++i) {
      s.push_back({"m." + std::to_string(i), m_[i]});
      s.push_back({"v." + std::to_string(i), v_[i]});
    }
    s.push_back({"step", step_});
    return s;
  }

  ///@{
  /// The settings, and the number of steps taken.
  const AdamOptions& options() const { return options_; }
  int64_t steps() const { return static_cast<int64_t>(step_.data()[0]); }
  ///@}

 protected:
  /// For AdamW: `decoupled` applies the weight decay to the weights; `name` is for errors.
  Adam(std::vector<Tensor> params, AdamOptions options, bool decoupled, const char* name)
      : Optimizer(std::move(params)), options_(options), decoupled_(decoupled) {
    check_lr(options.lr, name);
    check_arg(options.beta1 >= 0.0f && options.beta1 < 1.0f && options.beta2 >= 0.0f &&
                  options.beta2 < 1.0f,
              name, "betas must be in [0, 1), got ", options.beta1, " and ", options.beta2);
    check_arg(options.eps >= 0.0f, name, "eps must be non-negative, got ", options.eps);
    check_arg(options.weight_decay >= 0.0f, name, "weight_decay must be non-negative, got ",
              options.weight_decay);
    for (const Tensor& p : params_) {
      m_.push_back(Tensor::zeros(p.shape()));
      v_.push_back(Tensor::zeros(p.shape()));
    }
  }

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<Tensor> m_, v_;
  Tensor step_ = Tensor::zeros({1});
};

/// Adam with decoupled weight decay (torch.optim.AdamW).
class AdamW : public Adam {
 public:
  /// Throws std::invalid_argument for bad settings, as Adam does.
  explicit AdamW(std::vector<Tensor> params, AdamWOptions options = {})
      : Adam(std::move(params),
             AdamOptions{options.lr, options.beta1, options.beta2, options.eps,
                         options.weight_decay},
             true, "AdamW") {}
};

}  // namespace glia::optim
