// Activation layers: ReLU, Sigmoid, and Dropout (identity in eval mode).
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/activation.hpp"
#include "glia/ops/elementwise.hpp"

namespace glia::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  Tensor forward_owned(Tensor x) override { return relu(std::move(x)); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "ReLU"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "Sigmoid"; }
};

// Inverted dropout: in training, zeroes each element with probability `rate` and scales the
// rest by 1 / (1 - rate); in eval mode, the identity.
class Dropout : public Module {
 public:
  explicit Dropout(float rate, Rng& rng = default_rng()) : rate_(rate), rng_(&rng) {
    check_arg(rate >= 0.0f && rate < 1.0f, "Dropout", "rate must be in [0, 1), got ", rate);
  }
  Tensor forward(const Tensor& x) override {
    if (!training_ || rate_ == 0.0f) return x;
    Tensor mask = Tensor::empty(x.shape());
    const float keep_scale = 1.0f / (1.0f - rate_);
    for (int64_t i = 0; i < mask.numel(); ++i) {
      mask.data()[i] = rng_->uniform() < rate_ ? 0.0f : keep_scale;
    }
    return x * mask;
  }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "Dropout"; }
  float rate() const { return rate_; }

 private:
  float rate_;
  Rng* rng_;
};

}  // namespace glia::nn
