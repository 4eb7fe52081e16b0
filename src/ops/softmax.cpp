// softmax and log_softmax, forward and backward.
//
// Shapes: x viewed as {outer, extent, inner} around `dim` (split_at); each of the outer * inner
// lanes of `extent` values is normalised on its own.
//   log_softmax: y = x - m - log(sum exp(x - m)), m the lane maximum;
//                dx = g - exp(y) * sum(g)
//   softmax:     y = exp(x - m) / sum exp(x - m);  dx = y * (g - sum(g * y))
#include "glia/ops/softmax.hpp"

#include <algorithm>
#include <cmath>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"

namespace glia {
namespace {

// Calls f(offset, stride) for every lane: its first element and the step between elements.
template <class F>
void for_each_lane(const AxisSplit& s, F f) {
  parallel_for(
      s.outer * s.inner,
      [&](int64_t lane) {
        const int64_t o = lane / s.inner, i = lane % s.inner;
        f(o * s.extent * s.inner + i, s.inner);
      },
      256);
}

Tensor softmax_impl(const Tensor& x, int64_t dim, bool log, const char* op) {
  check_arg(x.defined(), op, "undefined tensor");
  dim = normalize_dim(dim, x.dim(), op);
  const AxisSplit s = split_at(x.shape(), dim);
  Tensor y = Tensor::empty(x.shape());
  for_each_lane(s, [&](int64_t first, int64_t step) {
    const float* in = x.data() + first;
    float* out = y.data() + first;
    float m = -INFINITY;
    for (int64_t d = 0; d < s.extent; ++d) m = std::max(m, in[d * step]);
    if (!std::isfinite(m)) m = 0.0f;  // all -inf (or empty): leave the values to the maths
    double total = 0.0;
    for (int64_t d = 0; d < s.extent; ++d) total += std::exp(static_cast<double>(in[d * step] - m));
    if (log) {
      const float shift = m + static_cast<float>(std::log(total));
      for (int64_t d = 0; d < s.extent; ++d) out[d * step] = in[d * step] - shift;
    } else {
      for (int64_t d = 0; d < s.extent; ++d)
        out[d * step] = static_cast<float>(std::exp(static_cast<double>(in[d * step] - m)) / total);
    }
  });
  if (needs_graph({&x})) {
    record(op, y, {x}, [s, log, y = y.detach()](const Tensor& g) {
      Tensor gx = Tensor::empty(g.shape());
      for_each_lane(s, [&](int64_t first, int64_t step) {
        const float* gy = g.data() + first;
        const float* yy = y.data() + first;
        float* out = gx.data() + first;
        double total = 0.0;
        for (int64_t d = 0; d < s.extent; ++d)
          total += log ? gy[d * step] : static_cast<double>(gy[d * step]) * yy[d * step];
        const float t = static_cast<float>(total);
        for (int64_t d = 0; d < s.extent; ++d) {
          const int64_t k = d * step;
          out[k] = log ? gy[k] - std::exp(yy[k]) * t : yy[k] * (gy[k] - t);
        }
      });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(x, dim, false, "softmax");
}
Tensor log_softmax(const Tensor& x, int64_t dim) {
  return softmax_impl(x, dim, true, "log_softmax");
}

}  // namespace glia
