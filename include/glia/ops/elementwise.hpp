/// @file
/// Elementwise arithmetic: a + b, a - b, a * b, and with a scalar.
///
/// Shapes: as PyTorch broadcasts. Equal shapes take a direct path; otherwise the shapes line up
/// at their last axis and an extent of 1 (or a missing leading axis) stretches, e.g.
/// {N, C, H, W} * {1, C, 1, 1} (per channel) or {N, K} + {K} (per column); the result has the
/// broadcast shape, and the gradient of a stretched operand is summed back to its own shape.
/// Large tensors are split across threads: these ops are memory-bound, and the seed network's
/// activations are tens of megabytes.
#pragma once

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace detail {

constexpr int64_t kElementwiseGrain = 1 << 15;  ///< elements per thread worth splitting for

/// out[i] = f(a[i], b[i]) over Eigen array slices.
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

enum class BinaryOp { add, sub, mul };

/// a op b over the broadcast shape (src/ops/broadcast.cpp); `name` is used in errors.
Tensor broadcast_binary(const Tensor& a, const Tensor& b, BinaryOp op, const char* name);
/// g summed over the axes on which `shape` was stretched to g's shape: a broadcast's gradient.
Tensor sum_to_shape(const Tensor& g, const Shape& shape);
/// x stretched to `shape` (a copy), where x broadcasts to it.
Tensor expand_to(const Tensor& x, const Shape& shape);

/// a op b: elementwise when the shapes are equal, broadcast otherwise.
template <class F>
Tensor binary(const Tensor& a, const Tensor& b, BinaryOp op, const char* name, F f) {
  check_arg(a.defined() && b.defined(), name, "undefined operand");
  if (a.shape() == b.shape()) return zip_arrays(a, b, f);
  return broadcast_binary(a, b, op, name);
}

inline Tensor negated(const Tensor& g) {
  return map_array(g, [](const auto& x) { return -x; });
}

}  // namespace detail

/// The broadcast shape of a and b; throws std::invalid_argument naming `op` if there is none.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// a + b with broadcasting.
inline Tensor operator+(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary(a, b, detail::BinaryOp::add, "add",
                              [](const auto& x, const auto& y) { return x + y; });
  if (needs_graph({&a, &b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record("add", out, {a, b}, [need_a, need_b, sa = a.shape(), sb = b.shape()](const Tensor& g) {
      return std::vector<Tensor>{need_a ? detail::sum_to_shape(g, sa) : Tensor(),
                                 need_b ? detail::sum_to_shape(g, sb) : Tensor()};
    });
  }
  return out;
}

/// -a.
inline Tensor operator-(const Tensor& a) {
  Tensor out = detail::map_array(a, [](const auto& x) { return -x; });
  if (needs_graph({&a})) {
    record("neg", out, {a},
           [](const Tensor& g) { return std::vector<Tensor>{detail::negated(g)}; });
  }
  return out;
}

/// a - b with broadcasting.
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  Tensor out = detail::binary(a, b, detail::BinaryOp::sub, "sub",
                              [](const auto& x, const auto& y) { return x - y; });
  if (needs_graph({&a, &b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record("sub", out, {a, b}, [need_a, need_b, sa = a.shape(), sb = b.shape()](const Tensor& g) {
      return std::vector<Tensor>{need_a ? detail::sum_to_shape(g, sa) : Tensor(),
                                 need_b ? detail::negated(detail::sum_to_shape(g, sb)) : Tensor()};
    });
  }
  return out;
}

/// a * b elementwise, with broadcasting.
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  auto times = [](const auto& x, const auto& y) { return x * y; };
  Tensor out = detail::binary(a, b, detail::BinaryOp::mul, "mul", times);
  if (needs_graph({&a, &b})) {
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    record("mul", out, {a, b},
           [need_a, need_b, times, a = a.detach(), b = b.detach()](const Tensor& g) {
             auto grad_of = [&](const Tensor& other, const Shape& shape) {
               return detail::sum_to_shape(
                   detail::binary(g, other, detail::BinaryOp::mul, "mul", times), shape);
             };
             return std::vector<Tensor>{need_a ? grad_of(b, a.shape()) : Tensor(),
                                        need_b ? grad_of(a, b.shape()) : Tensor()};
           });
  }
  return out;
}

///@{
/// A tensor and a scalar added or subtracted, elementwise.
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
///@}

///@{
/// A tensor times a scalar, elementwise.
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
///@}

}  // namespace glia
