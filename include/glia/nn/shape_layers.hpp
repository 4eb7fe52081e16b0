// Layers without parameters that move or select values: ZeroPad2d, MaxPool2d, Flatten.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/max_pool2d.hpp"
#include "glia/ops/reshape.hpp"
#include "glia/ops/zero_pad2d.hpp"

namespace glia::nn {

class ZeroPad2d : public Module {
 public:
  explicit ZeroPad2d(int64_t padding) : ZeroPad2d(padding, padding, padding, padding) {}
  ZeroPad2d(int64_t top, int64_t bottom, int64_t left, int64_t right)
      : top_(top), bottom_(bottom), left_(left), right_(right) {
    check_arg(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, "ZeroPad2d",
              "padding must be non-negative");
  }
  Tensor forward(const Tensor& x) override { return zero_pad2d(x, top_, bottom_, left_, right_); }
  Shape output_shape(const Shape& in) const override {
    check_arg(in.size() == 4, "ZeroPad2d", "expects {N, C, H, W}, got ", shape_str(in));
    return {in[0], in[1], in[2] + top_ + bottom_, in[3] + left_ + right_};
  }
  std::string type_name() const override { return "ZeroPad2d"; }

 private:
  int64_t top_, bottom_, left_, right_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel, int64_t stride = 0)
      : kernel_(kernel), stride_(stride ? stride : kernel) {
    check_arg(kernel >= 1 && stride_ >= 1, "MaxPool2d", "kernel and stride must be positive");
  }
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel_, stride_); }
  Shape output_shape(const Shape& in) const override {
    check_arg(in.size() == 4 && in[2] >= kernel_ && in[3] >= kernel_, "MaxPool2d",
              "expects {N, C, H, W} with H, W >= ", kernel_, ", got ", shape_str(in));
    return {in[0], in[1], (in[2] - kernel_) / stride_ + 1, (in[3] - kernel_) / stride_ + 1};
  }
  std::string type_name() const override { return "MaxPool2d"; }

 private:
  int64_t kernel_, stride_;
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x); }
  Shape output_shape(const Shape& in) const override {
    check_arg(!in.empty(), "Flatten", "needs a batch axis");
    return {in[0], in[0] ? shape_numel(in) / in[0] : shape_numel(Shape(in.begin() + 1, in.end()))};
  }
  std::string type_name() const override { return "Flatten"; }
};

}  // namespace glia::nn
