/// @file
/// Zero padding of the two spatial axes.
///
/// Shapes: x {N, C, H, W} -> y {N, C, top + H + bottom, left + W + right}.
#pragma once

#include <cstring>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"

namespace glia {
namespace detail {

/// Copies every (n, c) plane of `from` into `to` at row/column offset (dy, dx); the plane of
/// `to` is at least as large where `pad_out` and at most as large otherwise (the backward crop).
inline void copy_planes_shifted(const Tensor& from, Tensor& to, int64_t rows, int64_t cols,
                                int64_t from_row0, int64_t from_col0, int64_t to_row0,
                                int64_t to_col0) {
  const int64_t planes = from.size(0) * from.size(1);
  const int64_t from_h = from.size(2), from_w = from.size(3);
  const int64_t to_h = to.size(2), to_w = to.size(3);
  const float* src = from.data();
  float* dst = to.data();
  parallel_for(planes, [&](int64_t p) {
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(dst + (p * to_h + to_row0 + r) * to_w + to_col0,
                  src + (p * from_h + from_row0 + r) * from_w + from_col0,
                  sizeof(float) * static_cast<size_t>(cols));
    }
  });
}

}  // namespace detail

/// The output shape (the op and nn::ZeroPad2d both use it); throws std::invalid_argument.
inline Shape zero_pad2d_output_shape(const Shape& x, int64_t top, int64_t bottom, int64_t left,
                                     int64_t right, const char* op = "zero_pad2d") {
  check_arg(x.size() == 4, op, "expects x {N, C, H, W}, got ", shape_str(x));
  check_arg(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, op,
            "padding must be non-negative, got top ", top, " bottom ", bottom, " left ", left,
            " right ", right);
  return {x[0], x[1], top + x[2] + bottom, left + x[3] + right};
}

/// x with rows and columns of zeros added on each side.
inline Tensor zero_pad2d(const Tensor& x, int64_t top, int64_t bottom, int64_t left,
                         int64_t right) {
  check_arg(x.defined(), "zero_pad2d", "undefined input");
  Tensor out = Tensor::zeros(zero_pad2d_output_shape(x.shape(), top, bottom, left, right));
  const int64_t h = x.size(2), w = x.size(3);
  detail::copy_planes_shifted(x, out, h, w, 0, 0, top, left);
  if (needs_graph({&x})) {
    record("zero_pad2d", out, {x}, [shape = x.shape(), top, left](const Tensor& g) {
      Tensor gx = Tensor::empty(shape);
      detail::copy_planes_shifted(g, gx, shape[2], shape[3], top, left, 0, 0);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

/// The same padding on all four sides.
inline Tensor zero_pad2d(const Tensor& x, int64_t padding) {
  return zero_pad2d(x, padding, padding, padding, padding);
}

}  // namespace glia
