/// @file
/// Layers without parameters that move values: ZeroPad2d and Flatten.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/reshape.hpp"
#include "glia/ops/zero_pad2d.hpp"

namespace glia::nn {

/// Zeros around the H x W plane of {N, C, H, W} inputs (zero_pad2d()).
class ZeroPad2d : public Cloneable<ZeroPad2d> {
 public:
  /// The same padding on all four sides.
  explicit ZeroPad2d(int64_t padding) : ZeroPad2d(padding, padding, padding, padding) {}
  /// Each side's padding; all must be >= 0.
  ZeroPad2d(int64_t top, int64_t bottom, int64_t left, int64_t right)
      : top_(top), bottom_(bottom), left_(left), right_(right) {
    check_arg(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "ZeroPad2d",
              "padding must be non-negative");
  }
  Tensor forward(const Tensor& x) override { return zero_pad2d(x, top_, bottom_, left_, right_); }
  Shape output_shape(const Shape& in) const override {
    return zero_pad2d_output_shape(in, top_, bottom_, left_, right_, "ZeroPad2d");
  }
  std::string type_name() const override { return "ZeroPad2d"; }
  ///@{
  /// Rows and columns of zeros on each side.
  int64_t top() const { return top_; }
  int64_t bottom() const { return bottom_; }
  int64_t left() const { return left_; }
  int64_t right() const { return right_; }
  ///@}

 private:
  int64_t top_, bottom_, left_, right_;
};

/// {N, ...} -> {N, product of the rest} (flatten()).
class Flatten : public Cloneable<Flatten> {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x); }
  Shape output_shape(const Shape& in) const override { return flatten_output_shape(in, "Flatten"); }
  std::string type_name() const override { return "Flatten"; }
};

}  // namespace glia::nn
