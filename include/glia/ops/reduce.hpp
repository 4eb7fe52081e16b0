// Reductions to a one-element tensor: sum and mean of all elements.
//
// Shapes: x any shape -> result {1}. Accumulated in double so that the sum of millions of
// activations does not lose the small terms.
#pragma once

#include <algorithm>

#include "glia/autograd/node.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace detail {

inline double sum_in_double(const Tensor& x) {
  constexpr int64_t kBlock = 4096;  // float sums of short blocks are exact enough and vectorise
  double total = 0.0;
  for (int64_t i = 0; i < x.numel(); i += kBlock) {
    total += array_slice(x, i, std::min(x.numel(), i + kBlock)).sum();
  }
  return total;
}

// Gradient of a reduction: every element receives g[0] * scale.
inline Tensor broadcast_grad(const Tensor& g, const Shape& shape, float scale) {
  return Tensor::full(shape, g.data()[0] * scale);
}

}  // namespace detail

inline Tensor sum(const Tensor& x) {
  check_arg(x.defined(), "sum", "undefined tensor");
  Tensor out = Tensor::full({1}, static_cast<float>(detail::sum_in_double(x)));
  if (needs_graph({&x})) {
    record("sum", out, {x}, [shape = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{detail::broadcast_grad(g, shape, 1.0f)};
    });
  }
  return out;
}

inline Tensor mean(const Tensor& x) {
  check_arg(x.defined() && x.numel() > 0, "mean", "needs a non-empty tensor");
  const double n = static_cast<double>(x.numel());
  Tensor out = Tensor::full({1}, static_cast<float>(detail::sum_in_double(x) / n));
  if (needs_graph({&x})) {
    record("mean", out, {x}, [shape = x.shape(), n](const Tensor& g) {
      return std::vector<Tensor>{detail::broadcast_grad(g, shape, static_cast<float>(1.0 / n))};
    });
  }
  return out;
}

}  // namespace glia
