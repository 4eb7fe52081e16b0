/// @file
/// Activation layers over the ops of glia/ops/activation.hpp: ReLU, LeakyReLU, Tanh, Sigmoid.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/activation.hpp"

namespace glia::nn {

/// Tag for the layers that can overwrite their input: nn::ReLU(nn::in_place).
struct InPlace {};
/// The one InPlace value.
inline constexpr InPlace in_place{};

/// max(x, 0) elementwise. ReLU(in_place) overwrites its input instead of making a new tensor
/// (relu_, as PyTorch's inplace=True): for the code that builds a model to choose where nothing
/// else reads that input afterwards, e.g. right after a batch norm or a convolution.
class ReLU : public Cloneable<ReLU> {
 public:
  ReLU() = default;
  /// The in-place variant.
  explicit ReLU(InPlace) : in_place_(true) {}
  Tensor forward(const Tensor& x) override { return in_place_ ? relu_(x) : relu(x); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "ReLU"; }
  /// True for ReLU(in_place).
  bool is_in_place() const { return in_place_; }

 private:
  bool in_place_ = false;
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
