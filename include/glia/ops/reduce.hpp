/// @file
/// Reductions: sum and mean of all elements, or along axes.
///
/// Shapes: sum(x), mean(x): any -> {1}. Accumulated in double so that the sum of millions of
///   activations does not lose the small terms.
/// sum(x, dim, keepdim), mean(x, dim, keepdim): x {d0, ..., dk, ...} reduced along axis k
///   (negative counts from the end) -> the shape without axis k, or with extent 1 there when
///   keepdim; as torch.sum(x, dim, keepdim). The list forms reduce several axes at once
///   (mean(x, {2, 3}, true) of {N, C, H, W} is {N, C, 1, 1}).
#pragma once

#include <algorithm>
#include <vector>

#include "glia/autograd/node.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace detail {

inline double sum_in_double(const Tensor& x) {
  constexpr int64_t kBlock = 4096;  ///< float sums of short blocks are exact enough and vectorise
  double total = 0.0;
  for (int64_t i = 0; i < x.numel(); i += kBlock) {
    total += array_slice(x, i, std::min(x.numel(), i + kBlock)).sum();
  }
  return total;
}

/// Gradient of a reduction: every element receives g[0] * scale.
inline Tensor broadcast_grad(const Tensor& g, const Shape& shape, float scale) {
  return Tensor::full(shape, g.data()[0] * scale);
}

}  // namespace detail

/// The sum of all elements, {1}.
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

/// The mean of all elements, {1}.
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

///@{
/// The sum or mean along one axis or several, as the file's description says
/// (src/ops/reduce.cpp).
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
///@}

}  // namespace glia
