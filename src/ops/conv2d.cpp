// conv2d forward and backward by im2col + Eigen GEMM, tiled so that a column tile stays in L2.
//
// Shapes (per image n): x_n {C, H, W}, weight as a matrix W {O, K} with K = C*KH*KW,
// y_n {O, P} with P = OH*OW. A tile is a band of whole output rows [r0, r1), T = (r1-r0)*OW
// columns: col {K, T} holds the input patches of those outputs, and
//   forward:          y_n[:, tile]  = W col + b
//   weight gradient:  dW           += dy_n[:, tile] col^T      (per thread, reduced once)
//   input gradient:   dcol          = W^T dy_n[:, tile], scattered back by col2im.
// Recomputing col per tile in the backward pass costs far less than keeping every image's
// columns (147 x 57600 floats = 34 MB per image for the seed network).
#include "glia/ops/conv2d.hpp"

#include <algorithm>
#include <cstring>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace {

using StridedMatrixMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMatrixMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

constexpr int64_t kTileBytes = 192 * 1024;  // col tile budget: well inside a 512 KB L2

struct ConvGeometry {
  int64_t batch, channels, height, width;
  int64_t out_channels, kernel_h, kernel_w;
  int64_t stride, padding;
  int64_t out_h, out_w;

  ConvGeometry(const Shape& x, const Shape& w, int64_t stride_, int64_t padding_)
      : batch(x[0]), channels(x[1]), height(x[2]), width(x[3]), out_channels(w[0]),
        kernel_h(w[2]), kernel_w(w[3]), stride(stride_), padding(padding_),
        out_h((height + 2 * padding - kernel_h) / stride + 1),
        out_w((width + 2 * padding - kernel_w) / stride + 1) {}

  int64_t patch() const { return channels * kernel_h * kernel_w; }  // K
  int64_t positions() const { return out_h * out_w; }                // P
  int64_t rows_per_tile() const {
    const int64_t row_bytes = patch() * out_w * static_cast<int64_t>(sizeof(float));
    return std::clamp<int64_t>(kTileBytes / std::max<int64_t>(row_bytes, 1), 1, out_h);
  }
  int64_t tiles() const { return (out_h + rows_per_tile() - 1) / rows_per_tile(); }
  int64_t tile_begin(int64_t tile) const { return tile * rows_per_tile(); }
  int64_t tile_end(int64_t tile) const { return std::min(out_h, (tile + 1) * rows_per_tile()); }

  // Output columns [lo, hi) whose input column ow*stride - padding + kw lies inside the image.
  void valid_columns(int64_t kw, int64_t& lo, int64_t& hi) const {
    const int64_t first = padding - kw;  // ow*stride >= first
    lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    const int64_t last = width - 1 + padding - kw;  // ow*stride <= last
    hi = last < 0 ? 0 : std::min(out_w, last / stride + 1);
    lo = std::min(lo, hi);
  }
};

// col {K, T} <- patches of x_n {C, H, W} for output rows [r0, r1).
void im2col_rows(const float* x_n, const ConvGeometry& g, int64_t r0, int64_t r1, float* col) {
  const int64_t t_cols = (r1 - r0) * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        float* dst_row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * t_cols;
        int64_t lo, hi;
        g.valid_columns(kw, lo, hi);
        for (int64_t oh = r0; oh < r1; ++oh) {
          float* dst = dst_row + (oh - r0) * g.out_w;
          const int64_t ih = oh * g.stride - g.padding + kh;
          if (ih < 0 || ih >= g.height) {
            std::fill(dst, dst + g.out_w, 0.0f);
            continue;
          }
          const float* src = x_n + (c * g.height + ih) * g.width - g.padding + kw;
          std::fill(dst, dst + lo, 0.0f);
          if (g.stride == 1) {
            std::memcpy(dst + lo, src + lo, sizeof(float) * static_cast<size_t>(hi - lo));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.stride];
          }
          std::fill(dst + hi, dst + g.out_w, 0.0f);
        }
      }
    }
  }
}

// dx_n {C, H, W} += the patches in dcol {K, T} for output rows [r0, r1) (inverse of im2col).
void col2im_rows(const float* dcol, const ConvGeometry& g, int64_t r0, int64_t r1, float* dx_n) {
  const int64_t t_cols = (r1 - r0) * g.out_w;
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const float* src_row = dcol + ((c * g.kernel_h + kh) * g.kernel_w + kw) * t_cols;
        int64_t lo, hi;
        g.valid_columns(kw, lo, hi);
        for (int64_t oh = r0; oh < r1; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          if (ih < 0 || ih >= g.height) continue;
          const float* src = src_row + (oh - r0) * g.out_w;
          float* dst = dx_n + (c * g.height + ih) * g.width - g.padding + kw;
          for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.stride] += src[ow];
        }
      }
    }
  }
}

}  // namespace

void conv2d_check_args(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                       int64_t padding) {
  check_arg(x.defined() && weight.defined(), "conv2d", "undefined input or weight");
  check_arg(x.dim() == 4 && weight.dim() == 4, "conv2d",
            "expects x {N, C, H, W} and weight {O, C, KH, KW}, got x ", shape_str(x.shape()),
            " and weight ", shape_str(weight.shape()));
  check_arg(x.size(1) == weight.size(1), "conv2d", "x ", shape_str(x.shape()), " has ",
            x.size(1), " channels but weight ", shape_str(weight.shape()), " expects ",
            weight.size(1));
  check_arg(stride >= 1, "conv2d", "stride must be at least 1, got ", stride);
  check_arg(padding >= 0, "conv2d", "padding must be non-negative, got ", padding);
  check_arg(weight.size(2) <= x.size(2) + 2 * padding && weight.size(3) <= x.size(3) + 2 * padding,
            "conv2d", "kernel ", weight.size(2), "x", weight.size(3),
            " is larger than the padded input ", x.size(2) + 2 * padding, "x",
            x.size(3) + 2 * padding, " (x ", shape_str(x.shape()), ", padding ", padding, ")");
  check_arg(!bias.defined() || bias.shape() == Shape{weight.size(0)}, "conv2d", "bias ",
            bias.defined() ? shape_str(bias.shape()) : "", " does not match weight ",
            shape_str(weight.shape()));
}

Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                      int64_t padding) {
  const ConvGeometry g(x.shape(), weight.shape(), stride, padding);
  const int64_t k = g.patch(), p = g.positions(), tiles = g.tiles();
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w});
  const ConstMatrixMap w(weight.data(), g.out_channels, k);

  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int) {
    Tensor col = Tensor::empty({k * g.rows_per_tile() * g.out_w});
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = g.tile_begin(item % tiles), r1 = g.tile_end(item % tiles);
      const int64_t t_cols = (r1 - r0) * g.out_w;
      im2col_rows(x.data() + n * g.channels * g.height * g.width, g, r0, r1, col.data());
      StridedMatrixMap y_tile(y.data() + n * g.out_channels * p + r0 * g.out_w, g.out_channels,
                              t_cols, Eigen::OuterStride<>(p));
      y_tile.noalias() = w * ConstMatrixMap(col.data(), k, t_cols);
      if (bias.defined()) y_tile.colwise() += as_array(bias).matrix();
    }
  });
  return y;
}

std::pair<Tensor, Tensor> conv2d_backward_weights(const Tensor& grad_y, const Tensor& x,
                                                  const Shape& weight_shape, int64_t stride,
                                                  int64_t padding, bool with_bias) {
  const ConvGeometry g(x.shape(), weight_shape, stride, padding);
  const int64_t k = g.patch(), p = g.positions(), tiles = g.tiles();
  // One accumulator per thread, summed in thread order afterwards: deterministic for a given
  // thread count, and no atomics in the hot loop.
  const int threads = num_threads();
  std::vector<Tensor> partial_w(static_cast<size_t>(threads));
  std::vector<Tensor> partial_b(static_cast<size_t>(threads));

  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int thread) {
    Tensor col = Tensor::empty({k * g.rows_per_tile() * g.out_w});
    Tensor dw = Tensor::zeros({g.out_channels, k});
    Tensor db = Tensor::zeros({g.out_channels});
    auto dw_m = as_matrix(dw, g.out_channels, k);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = g.tile_begin(item % tiles), r1 = g.tile_end(item % tiles);
      const int64_t t_cols = (r1 - r0) * g.out_w;
      im2col_rows(x.data() + n * g.channels * g.height * g.width, g, r0, r1, col.data());
      ConstStridedMatrixMap dy_tile(grad_y.data() + n * g.out_channels * p + r0 * g.out_w,
                                    g.out_channels, t_cols, Eigen::OuterStride<>(p));
      dw_m.noalias() += dy_tile * ConstMatrixMap(col.data(), k, t_cols).transpose();
      if (with_bias) as_array(db) += dy_tile.rowwise().sum().array();
    }
    partial_w[static_cast<size_t>(thread)] = dw;
    partial_b[static_cast<size_t>(thread)] = db;
  });

  Tensor grad_w = Tensor::zeros(weight_shape);
  Tensor grad_b = with_bias ? Tensor::zeros({g.out_channels}) : Tensor();
  for (int t = 0; t < threads; ++t) {
    if (!partial_w[static_cast<size_t>(t)].defined()) continue;
    as_array(grad_w) += as_array(partial_w[static_cast<size_t>(t)]);
    if (with_bias) as_array(grad_b) += as_array(partial_b[static_cast<size_t>(t)]);
  }
  return {grad_w, grad_b};
}

Tensor conv2d_backward_input(const Tensor& grad_y, const Tensor& weight, const Shape& x_shape,
                             int64_t stride, int64_t padding) {
  const ConvGeometry g(x_shape, weight.shape(), stride, padding);
  const int64_t k = g.patch(), p = g.positions(), tiles = g.tiles();
  const int64_t image = g.channels * g.height * g.width;
  Tensor grad_x = Tensor::empty(x_shape);
  const ConstMatrixMap w(weight.data(), g.out_channels, k);

  // Split by image: neighbouring tiles of one image scatter into overlapping input rows.
  parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int) {
    Tensor dcol = Tensor::empty({k * g.rows_per_tile() * g.out_w});
    for (int64_t n = begin; n < end; ++n) {
      float* dx_n = grad_x.data() + n * image;
      std::fill(dx_n, dx_n + image, 0.0f);
      for (int64_t tile = 0; tile < tiles; ++tile) {
        const int64_t r0 = g.tile_begin(tile), r1 = g.tile_end(tile);
        const int64_t t_cols = (r1 - r0) * g.out_w;
        ConstStridedMatrixMap dy_tile(grad_y.data() + n * g.out_channels * p + r0 * g.out_w,
                                      g.out_channels, t_cols, Eigen::OuterStride<>(p));
        MatrixMap(dcol.data(), k, t_cols).noalias() = w.transpose() * dy_tile;
        col2im_rows(dcol.data(), g, r0, r1, dx_n);
      }
    }
  });
  return grad_x;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              int64_t padding) {
  conv2d_check_args(x, weight, bias, stride, padding);
  Tensor y = conv2d_forward(x, weight, bias, stride, padding);
  if (needs_graph({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_w = weight.requires_grad();
    const bool need_b = bias.defined() && bias.requires_grad();
    // The image itself is saved only when a parameter gradient needs it.
    record("conv2d", y, {x, weight, bias},
           [=, x = need_w || need_b ? x.detach() : Tensor(), w = weight.detach(),
            x_shape = x.shape()](const Tensor& g) {
             Tensor gx, gw, gb;
             if (need_x) gx = conv2d_backward_input(g, w, x_shape, stride, padding);
             if (need_w || need_b) {
               auto [dw, db] = conv2d_backward_weights(g, x, w.shape(), stride, padding, need_b);
               if (need_w) gw = dw;
               gb = db;
             }
             return std::vector<Tensor>{gx, gw, gb};
           });
  }
  return y;
}

}  // namespace glia
