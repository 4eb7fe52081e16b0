// Elementwise arithmetic: a + b, a - b, a * b on tensors of one shape, and with a scalar.
//
// Shapes: a, b, result all the same shape (no broadcasting; a mismatch throws).
// Large tensors are split across threads: these ops are memory-bound, and the seed network's
// activations are tens of megabytes.
#pragma once

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace detail {

constexpr int64_t kElementwiseGrain = 1 << 15;  // elements per thread worth splitting for

// out[i] = f(a[i], b[i]) over Eigen array slices.
template <class F>
Tensor zip_arrays(const Tensor& a, const Tensor& b, F f) {
  Tensor out = Tensor::empty(a.shape());
  parallel_chunks(
      a.numel(),
      [&](int64_t begin, int64_t end, int) {
        array_slice(out, begin, end) = f(array_slice(a, begin, end), array_slice(b, begin, end));
      },
      kElementwiseGrain);
  return out;
}

template <class F>
Tensor map_array(const Tensor& a, F f) {
  Tensor out = Tensor::empty(a.shape());
  parallel_chunks(
      a.numel(),
      [&](int64_t begin, int64_t end, int) {
        array_slice(out, begin, end) = f(array_slice(a, begin, end));
      },
      kElementwiseGrain);
  return out;
}

inline void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  check_arg(a.defined() && b.defined(), op, "undefined operand");
  check_arg(a.shape() == b.shape(), op, "shapes differ: ", shape_str(a.shape()), " and ",
            shape_str(b.shape()));
}

}  // namespace detail

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  detail::check_same_shape("add", a, b);
  Tensor out = detail::zip_arrays(a, b, [](const auto& x, const auto& y) { return x + y; });
  if (needs_graph({&a, &b})) {
    record("add", out, {a, b}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  }
  return out;
}

inline Tensor operator-(const Tensor& a) {
  Tensor out = detail::map_array(a, [](const auto& x) { return -x; });
  if (needs_graph({&a})) {
    record("neg", out, {a}, [](const Tensor& g) {
      return std::vector<Tensor>{detail::map_array(g, [](const auto& x) { return -x; })};
    });
  }
  return out;
}

inline Tensor operator-(const Tensor& a, const Tensor& b) {
  detail::check_same_shape("sub", a, b);
  Tensor out = detail::zip_arrays(a, b, [](const auto& x, const auto& y) { return x - y; });
  if (needs_graph({&a, &b})) {
    const bool need_b = b.requires_grad();
    record("sub", out, {a, b}, [need_b](const Tensor& g) {
      Tensor gb = need_b ? detail::map_array(g, [](const auto& x) { return -x; }) : Tensor();
      return std::vector<Tensor>{g, gb};
    });
  }
  return out;
}

inline Tensor operator*(const Tensor& a, const Tensor& b) {
  detail::check_same_shape("mul", a, b);
  Tensor out = detail::zip_arrays(a, b, [](const auto& x, const auto& y) { return x * y; });
  if (needs_graph({&a, &b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record("mul", out, {a, b}, [need_a, need_b, a = a.detach(), b = b.detach()](const Tensor& g) {
      auto times = [](const auto& x, const auto& y) { return x * y; };
      return std::vector<Tensor>{need_a ? detail::zip_arrays(g, b, times) : Tensor(),
                                 need_b ? detail::zip_arrays(g, a, times) : Tensor()};
    });
  }
  return out;
}

inline Tensor operator+(const Tensor& a, float s) {
  Tensor out = detail::map_array(a, [s](const auto& x) { return x + s; });
  if (needs_graph({&a})) {
    record("add_scalar", out, {a}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  }
  return out;
}
inline Tensor operator+(float s, const Tensor& a) {
  return a + s;
}
inline Tensor operator-(const Tensor& a, float s) {
  return a + (-s);
}
inline Tensor operator-(float s, const Tensor& a) {
  return -a + s;
}

inline Tensor operator*(const Tensor& a, float s) {
  Tensor out = detail::map_array(a, [s](const auto& x) { return x * s; });
  if (needs_graph({&a})) {
    record("mul_scalar", out, {a}, [s](const Tensor& g) {
      return std::vector<Tensor>{detail::map_array(g, [s](const auto& x) { return x * s; })};
    });
  }
  return out;
}
inline Tensor operator*(float s, const Tensor& a) {
  return a * s;
}

}  // namespace glia
