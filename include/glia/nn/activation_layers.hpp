/// @file
/// Activation layers over the ops of glia/ops/activation.hpp: ReLU, LeakyReLU, Tanh, Sigmoid.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/activation.hpp"

namespace glia::nn {

/// max(x, 0) elementwise.
class ReLU : public Cloneable<ReLU> {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  Tensor forward_owned(Tensor x) override { return relu(std::move(x)); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "ReLU"; }
};

/// x where x > 0, negative_slope * x elsewhere.
class LeakyReLU : public Cloneable<LeakyReLU> {
 public:
  /// negative_slope must be finite.
  explicit LeakyReLU(float negative_slope = 0.01f) : slope_(negative_slope) {
    check_arg(std::isfinite(negative_slope), "LeakyReLU", "negative_slope must be finite");
  }
  Tensor forward(const Tensor& x) override { return leaky_relu(x, slope_); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "LeakyReLU"; }
  /// The slope for negative inputs.
  float negative_slope() const { return slope_; }

 private:
  float slope_;
};

/// tanh(x) elementwise.
class Tanh : public Cloneable<Tanh> {
 public:
  Tensor forward(const Tensor& x) override { return tanh(x); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "Tanh"; }
};

/// 1 / (1 + e^-x) elementwise.
class Sigmoid : public Cloneable<Sigmoid> {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "Sigmoid"; }
};

}  // namespace glia::nn
