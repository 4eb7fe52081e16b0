// Activations: relu and sigmoid. Shapes: x any shape -> same shape.
#pragma once

#include <cmath>

#include "glia/ops/elementwise.hpp"

namespace glia {

inline Tensor relu(const Tensor& x) {
  check_arg(x.defined(), "relu", "undefined tensor");
  Tensor out = detail::map_array(x, [](const auto& v) { return v.max(0.0f); });
  if (needs_graph({&x})) {
    // The mask comes from the output (y > 0 exactly where x > 0), so the input can be freed.
    record("relu", out, {x}, [y = out.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(
          g, y, [](const auto& gv, const auto& yv) { return (yv > 0.0f).select(gv, 0.0f); })};
    });
  }
  return out;
}

// 1 / (1 + e^-x), evaluated so that neither branch overflows for large |x|.
inline Tensor sigmoid(const Tensor& x) {
  check_arg(x.defined(), "sigmoid", "undefined tensor");
  Tensor out = Tensor::empty(x.shape());
  const float* in = x.data();
  float* o = out.data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float e = std::exp(-std::fabs(in[i]));
    o[i] = in[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
  }
  if (needs_graph({&x})) {
    record("sigmoid", out, {x}, [y = out.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(
          g, y, [](const auto& gv, const auto& yv) { return gv * yv * (1.0f - yv); })};
    });
  }
  return out;
}

}  // namespace glia
