/// @file
/// reshape and flatten: the same data under another shape (no copy).
///
/// Shapes: reshape: any -> `shape` with the same element count;
///         flatten: x {N, d1, d2, ...} -> {N, d1 * d2 * ...}.
#pragma once

#include "glia/autograd/node.hpp"

namespace glia {

/// x viewed with `shape` (the same element count; no copy).
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

/// {N, d1, d2, ...} -> {N, d1 * d2 * ...} (the op and nn::Flatten both use it).
inline Shape flatten_output_shape(const Shape& x, const char* op = "flatten") {
  check_arg(!x.empty(), op, "needs a batch axis, got ", shape_str(x));
  return {x[0], shape_numel(Shape(x.begin() + 1, x.end()))};
}

/// x viewed as {N, d1 * d2 * ...}.
inline Tensor flatten(const Tensor& x) {
  check_arg(x.defined(), "flatten", "undefined input");
  return reshape(x, flatten_output_shape(x.shape()));
}

}  // namespace glia
