// The one gradient-check helper: compares autograd's gradients with central differences.
//
// For a function f of several tensors, the scalar L = sum(f(inputs) * R) with a fixed random R
// is differentiated two ways: backward(), and (L(x + eps) - L(x - eps)) / 2 eps for every
// element of every input that requires grad. L is accumulated in double so that the finite
// differences see the function's own float rounding only.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include <glia/glia.hpp>

namespace glia::testing {

using TensorFn = std::function<Tensor(const std::vector<Tensor>&)>;

inline double weighted_sum(const Tensor& y, const Tensor& r) {
  double total = 0.0;
  for (int64_t i = 0; i < y.numel(); ++i) total += double(y.data()[i]) * double(r.data()[i]);
  return total;
}

inline void check_gradients(const TensorFn& f, std::vector<Tensor> inputs, double eps = 1e-3,
                            double tolerance = 2e-3) {
  Rng rng(2024);
  Tensor probe;
  {
    NoGradGuard no_grad;
    probe = f(inputs);
  }
  const Tensor r = Tensor::rand(probe.shape(), rng, -1.0f, 1.0f);

  for (Tensor& x : inputs) x.set_grad(Tensor());
  sum(f(inputs) * r).backward();

  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor& x = inputs[i];
    if (!x.requires_grad()) continue;
    const Tensor analytic = x.grad();
    REQUIRE(analytic.defined());
    REQUIRE(analytic.shape() == x.shape());
    NoGradGuard no_grad;
    for (int64_t j = 0; j < x.numel(); ++j) {
      const float saved = x.data()[j];
      x.data()[j] = static_cast<float>(saved + eps);
      const double plus = weighted_sum(f(inputs), r);
      x.data()[j] = static_cast<float>(saved - eps);
      const double minus = weighted_sum(f(inputs), r);
      x.data()[j] = saved;
      const double numeric = (plus - minus) / (2 * eps);
      const double got = analytic.data()[j];
      INFO("input " << i << " " << shape_str(x.shape()) << " element " << j << ": autograd " << got
                    << ", finite difference " << numeric);
      REQUIRE(std::fabs(got - numeric) <= tolerance * (1.0 + std::fabs(numeric)));
    }
  }
}

// Values in [-1, 1] kept at least `gap` apart and away from zero, in random order: no ties for
// max-pool and no kinks of relu within a finite-difference step.
inline Tensor distinct_values(const Shape& shape, Rng& rng, float gap = 0.02f) {
  const int64_t n = shape_numel(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float step = (static_cast<float>(i - n / 2) + 0.5f) * gap;  // never zero
    v[static_cast<size_t>(i)] = step;
  }
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(v[static_cast<size_t>(i)], v[static_cast<size_t>(rng.below(uint64_t(i) + 1))]);
  }
  return Tensor::from(v, shape);
}

}  // namespace glia::testing
