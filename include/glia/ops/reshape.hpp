// reshape and flatten: the same data under another shape (no copy).
//
// Shapes: reshape: any -> `shape` with the same element count;
//         flatten: x {N, d1, d2, ...} -> {N, d1 * d2 * ...}.
#pragma once

#include "glia/autograd/node.hpp"

namespace glia {

inline Tensor reshape(const Tensor& x, const Shape& shape) {
  check_arg(x.defined(), "reshape", "undefined tensor");
  check_arg(shape_numel(shape) == x.numel(), "reshape", "cannot reshape ", shape_str(x.shape()),
            " (", x.numel(), " elements) to ", shape_str(shape));
  Tensor out = x.view_as_shape(shape);
  if (needs_graph({&x})) {
    record("reshape", out, {x}, [from = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{g.view_as_shape(from)};
    });
  }
  return out;
}

inline Tensor flatten(const Tensor& x) {
  check_arg(x.defined() && x.dim() >= 1, "flatten", "needs a batch axis, got ",
            x.defined() ? shape_str(x.shape()) : "undefined");
  const int64_t batch = x.size(0);
  return reshape(x, {batch, batch ? x.numel() / batch : 0});
}

}  // namespace glia
