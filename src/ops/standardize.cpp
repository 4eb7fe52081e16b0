// standardize: forward and backward of per-example standardisation.
//
// Shapes: x {N, ...} -> y {N, ...}; per example, over its M values:
//   mean = sum x / M, c = x - mean, std = sqrt(sum c^2 / M), d = std + eps, y = c / d.
// Backward, with g = dL/dy (std > 0):
//   dL/dx = (g - mean(g)) / d - c * sum(g * c) / (M * std * d^2)
// (the second term is the path through std: d std / d x_i = c_i / (M std)).
#include "glia/ops/standardize.hpp"

#include <cmath>

#include "glia/support/parallel.hpp"

namespace glia {
namespace {

struct Moments {
  double mean = 0, std = 0;
};

Moments moments_of(const float* x, int64_t m) {
  double sum = 0;
  for (int64_t i = 0; i < m; ++i) sum += x[i];
  const double mean = sum / static_cast<double>(m);
  double squares = 0;
  for (int64_t i = 0; i < m; ++i) {
    const double c = x[i] - mean;
    squares += c * c;
  }
  return {mean, std::sqrt(squares / static_cast<double>(m))};
}

void standardize_forward(const float* x, float* y, int64_t m, const Moments& s, double eps) {
  const double scale = 1.0 / (s.std + eps);
  for (int64_t i = 0; i < m; ++i) y[i] = static_cast<float>((x[i] - s.mean) * scale);
}

void standardize_backward(const float* x, const float* g, float* dx, int64_t m, const Moments& s,
                          double eps) {
  if (s.std == 0) {  // a constant example: y is 0 whatever x does along the constant
    for (int64_t i = 0; i < m; ++i) dx[i] = 0.0f;
    return;
  }
  const double d = s.std + eps;
  double g_sum = 0, gc_sum = 0;
  for (int64_t i = 0; i < m; ++i) {
    g_sum += g[i];
    gc_sum += g[i] * (x[i] - s.mean);
  }
  const double g_mean = g_sum / static_cast<double>(m);
  const double through_std = gc_sum / (static_cast<double>(m) * s.std * d * d);
  for (int64_t i = 0; i < m; ++i) {
    const double c = x[i] - s.mean;
    dx[i] = static_cast<float>((g[i] - g_mean) / d - c * through_std);
  }
}

}  // namespace

Tensor standardize(const Tensor& x, float eps) {
  check_arg(x.defined(), "standardize", "undefined input");
  standardize_output_shape(x.shape());
  check_arg(eps >= 0.0f && std::isfinite(eps), "standardize", "eps must be finite and >= 0, got ",
            eps);
  const int64_t n = x.size(0), m = x.numel() / n;
  Tensor y = Tensor::empty(x.shape());
  std::vector<Moments> stats(static_cast<size_t>(n));
  const float* xv = x.data();
  float* yv = y.data();
  parallel_for(n, [&](int64_t e) {
    stats[static_cast<size_t>(e)] = moments_of(xv + e * m, m);
    standardize_forward(xv + e * m, yv + e * m, m, stats[static_cast<size_t>(e)], eps);
  });
  if (needs_graph({&x})) {
    record("standardize", y, {x}, [=, x = x.detach()](const Tensor& g) {
      Tensor dx = Tensor::empty(x.shape());
      parallel_for(n, [&](int64_t e) {
        standardize_backward(x.data() + e * m, g.data() + e * m, dx.data() + e * m, m,
                             stats[static_cast<size_t>(e)], eps);
      });
      return std::vector<Tensor>{dx};
    });
  }
  return y;
}

}  // namespace glia
