/// @file
/// Pooling layers over the ops of glia/ops/pooling.hpp: MaxPool2d, AvgPool2d, GlobalAvgPool2d.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/pooling.hpp"

namespace glia::nn {

/// Max pooling over square windows (max_pool2d()).
class MaxPool2d : public Cloneable<MaxPool2d> {
 public:
  /// stride 0 means the kernel size.
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0)
      : kernel_(kernel), stride_(stride ? stride : kernel) {
    check_arg(kernel >= 1 && stride_ >= 1, "MaxPool2d", "kernel and stride must be positive");
  }
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_); }
  Shape output_shape(const Shape& in) const override {
    return pool2d_output_shape(in, kernel_, stride_, "MaxPool2d");
  }
  std::string type_name() const override { return "MaxPool2d"; }
  ///@{
  /// The window's side and the step between windows.
  int64_t kernel_size() const { return kernel_; }
  int64_t stride() const { return stride_; }
  ///@}

 private:
  int64_t kernel_, stride_;
};

/// Average pooling over square windows (avg_pool2d()).
class AvgPool2d : public Cloneable<AvgPool2d> {
 public:
  /// stride 0 means the kernel size.
  explicit AvgPool2d(int64_t kernel, int64_t stride = 0)
      : kernel_(kernel), stride_(stride ? stride : kernel) {
    check_arg(kernel >= 1 && stride_ >= 1, "AvgPool2d", "kernel and stride must be positive");
  }
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel_, stride_); }
  Shape output_shape(const Shape& in) const override {
    return pool2d_output_shape(in, kernel_, stride_, "AvgPool2d");
  }
  std::string type_name() const override { return "AvgPool2d"; }
  ///@{
  /// The window's side and the step between windows.
  int64_t kernel_size() const { return kernel_; }
  int64_t stride() const { return stride_; }
  ///@}

 private:
  int64_t kernel_, stride_;
};

/// {N, C, H, W} -> {N, C, 1, 1}: follow it with Flatten for a classifier head.
/// The mean over each channel's H x W plane.
class GlobalAvgPool2d : public Cloneable<GlobalAvgPool2d> {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
  Shape output_shape(const Shape& in) const override {
    check_arg(in.size() == 4, "GlobalAvgPool2d", "expects {N, C, H, W}, got ", shape_str(in));
    return {in[0], in[1], 1, 1};
  }
  std::string type_name() const override { return "GlobalAvgPool2d"; }
};

}  // namespace glia::nn
