/// @file
/// Fully connected layer: y = x W^T + b.
///
/// Shapes: x {N, in}, weight {out, in}, bias {out} or undefined -> y {N, out}.
#pragma once

#include "glia/autograd/node.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {

/// {N, out} (the op and nn::Dense both use it); throws std::invalid_argument.
inline Shape linear_output_shape(const Shape& x, const Shape& weight, const char* op = "linear") {
  check_arg(x.size() == 2 && weight.size() == 2 && x[1] == weight[1], op,
            "expects x {N, in} and weight {out, in}, got x ", shape_str(x), " and weight ",
            shape_str(weight));
  return {x[0], weight[0]};
}

/// y = x W^T + b (the bias may be undefined).
inline Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor()) {
  check_arg(x.defined() && weight.defined(), "linear", "undefined input or weight");
  linear_output_shape(x.shape(), weight.shape());
  const int64_t n = x.size(0), in = x.size(1), out_features = weight.size(0);
  check_arg(!bias.defined() || bias.shape() == Shape{out_features}, "linear", "bias ",
            shape_str(bias), " does not match weight ",
            shape_str(weight.shape()));

  Tensor y = Tensor::empty({n, out_features});
  auto ym = as_matrix(y, n, out_features);
  ym.noalias() = as_matrix(x, n, in) * as_matrix(weight, out_features, in).transpose();
  if (bias.defined()) ym.rowwise() += as_array(bias).matrix().transpose();

  if (needs_graph({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    record("linear", y, {x, weight, bias},
           [=, x = x.detach(), w = weight.detach()](const Tensor& g) {
             auto gm = as_matrix(g, n, out_features);
             Tensor gx, gw, gb;
             if (need_x) {
               gx = Tensor::empty({n, in});
               as_matrix(gx, n, in).noalias() = gm * as_matrix(w, out_features, in);
             }
             if (need_w) {
               gw = Tensor::empty({out_features, in});
               as_matrix(gw, out_features, in).noalias() = gm.transpose() * as_matrix(x, n, in);
             }
             if (need_b) {
               gb = Tensor::empty({out_features});
               as_array(gb) = gm.colwise().sum().transpose().array();
             }
             return std::vector<Tensor>{gx, gw, gb};
           });
  }
  return y;
}

}  // namespace glia
