// The shape of one convolution, shared by the reference and the tuned kernels.
//
// x {N, C, H, W}, weight {O, C, KH, KW}, y {N, O, OH, OW} with OH = (H + 2 pad_h - KH) / stride + 1
// (floor), likewise OW. As matrices: the weights are W {O, K} with K = C * KH * KW (patch row
// k = (c, kh, kw)), and the patches of image n are Col_n {K, P} with P = OH * OW; the tuned
// kernels treat all images' patches as one matrix {K, T}, T = N * P (column j = n * P + p).
#pragma once

#include <algorithm>
#include <cstdint>

#include "glia/tensor/shape.hpp"

namespace glia::conv {

struct Geometry {
  int64_t batch = 0, channels = 0, height = 0, width = 0;
  int64_t out_channels = 0, kernel_h = 0, kernel_w = 0;
  int64_t stride = 1, pad_h = 0, pad_w = 0;
  int64_t out_h = 0, out_w = 0;

  Geometry() = default;
  Geometry(const Shape& x, const Shape& w, int64_t stride_, int64_t pad_h_, int64_t pad_w_)
      : batch(x[0]),
        channels(x[1]),
        height(x[2]),
        width(x[3]),
        out_channels(w[0]),
        kernel_h(w[2]),
        kernel_w(w[3]),
        stride(stride_),
        pad_h(pad_h_),
        pad_w(pad_w_),
        out_h((height + 2 * pad_h - kernel_h) / stride + 1),
        out_w((width + 2 * pad_w - kernel_w) / stride + 1) {}

  int64_t patch() const { return channels * kernel_h * kernel_w; }  // K
  int64_t positions() const { return out_h * out_w; }               // P
  int64_t columns() const { return batch * positions(); }           // T
  int64_t image_size() const { return channels * height * width; }
  int64_t output_size() const { return out_channels * positions(); }
  // 2 * N * O * K * P: the multiply-adds of each direction, counted twice.
  double flops() const {
    return 2.0 * static_cast<double>(batch) * static_cast<double>(out_channels) *
           static_cast<double>(patch()) * static_cast<double>(positions());
  }

  // Output columns [lo, hi) whose input column ow * stride - pad_w + kw lies inside the image.
  void valid_columns(int64_t kw, int64_t& lo, int64_t& hi) const {
    const int64_t first = pad_w - kw;  // ow * stride >= first
    lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    const int64_t last = width - 1 + pad_w - kw;  // ow * stride <= last
    hi = last < 0 ? 0 : std::min(out_w, last / stride + 1);
    lo = std::min(lo, hi);
  }
};

inline int64_t round_up(int64_t n, int64_t m) {
  return (n + m - 1) / m * m;
}

}  // namespace glia::conv
