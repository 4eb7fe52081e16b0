/// @file
/// Standardize: each example to zero mean and unit standard deviation (standardize()), e.g. as a
/// network's first layer, so that the model file holds the input normalisation it was trained
/// with and works on images whatever their brightness and contrast.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/standardize.hpp"

namespace glia::nn {

/// Per-example standardisation, no parameters (standardize()).
class Standardize : public Cloneable<Standardize> {
 public:
  /// eps is added to the standard deviation (ONNX's MeanVarianceNormalization uses 1e-9).
  explicit Standardize(float eps = 1e-9f) : eps_(eps) {
    check_arg(eps >= 0.0f, "Standardize", "eps must be >= 0, got ", eps);
  }
  Tensor forward(const Tensor& x) override { return standardize(x, eps_); }
  Shape output_shape(const Shape& in) const override {
    return standardize_output_shape(in, "Standardize");
  }
  std::string type_name() const override { return "Standardize"; }
  /// What is added to each example's standard deviation.
  float eps() const { return eps_; }

 private:
  float eps_;
};

}  // namespace glia::nn
