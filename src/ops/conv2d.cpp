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

#include <atomic>

#include "conv2d_avx2.hpp"
#include "glia/autograd/node.hpp"
#include "glia/ops/zero_pad2d.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace {

using detail::kPanelWidth;
using detail::kPatchBlock;
using detail::kRowBlock;
using detail::round_up;

std::atomic<ConvKernel> requested_kernel{ConvKernel::automatic};

bool use_avx2() {
  const ConvKernel k = requested_kernel.load(std::memory_order_relaxed);
  return k == ConvKernel::avx2 || (k == ConvKernel::automatic && detail::cpu_has_avx2_fma());
}

using StridedMatrixMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMatrixMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

constexpr int64_t kTileBytes = 192 * 1024;  // col tile budget: well inside a 512 KB L2

struct ConvGeometry {
  int64_t batch, channels, height, width;
  int64_t out_channels, kernel_h, kernel_w;
  int64_t stride, padding;
  int64_t out_h, out_w;

  ConvGeometry(const Shape& x, const Shape& w, int64_t stride_, int64_t padding_)
      : batch(x[0]),
        channels(x[1]),
        height(x[2]),
        width(x[3]),
        out_channels(w[0]),
        kernel_h(w[2]),
        kernel_w(w[3]),
        stride(stride_),
        padding(padding_),
        out_h((height + 2 * padding - kernel_h) / stride + 1),
        out_w((width + 2 * padding - kernel_w) / stride + 1) {}

  int64_t patch() const { return channels * kernel_h * kernel_w; }         // K
  int64_t patch_padded() const { return round_up(patch(), kPatchBlock); }  // Kp
  int64_t positions() const { return out_h * out_w; }                      // P
  // Output rows per work item: as many as keep an im2col tile within kTileBytes. The direct
  // kernels have no im2col tile and take more rows (fewer horizontal sums per row).
  int64_t tile_rows = 0;
  int64_t rows_per_tile() const {
    if (tile_rows) return tile_rows;
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

// One row of patches: out[ow] = x_n[c][oh*stride - padding + kh][ow*stride - padding + kw],
// zero outside the image, for ow in [0, OW).
void patch_row(const float* x_n, const ConvGeometry& g, int64_t c, int64_t kh, int64_t kw,
               int64_t oh, float* out) {
  const int64_t ih = oh * g.stride - g.padding + kh;
  if (ih < 0 || ih >= g.height) {
    std::fill(out, out + g.out_w, 0.0f);
    return;
  }
  int64_t lo, hi;
  g.valid_columns(kw, lo, hi);
  const float* src = x_n + (c * g.height + ih) * g.width - g.padding + kw;
  std::fill(out, out + lo, 0.0f);
  if (g.stride == 1) {
    std::memcpy(out + lo, src + lo, sizeof(float) * static_cast<size_t>(hi - lo));
  } else {
    for (int64_t ow = lo; ow < hi; ++ow) out[ow] = src[ow * g.stride];
  }
  std::fill(out + hi, out + g.out_w, 0.0f);
}

// col {K, T} <- patches of x_n {C, H, W} for output rows [r0, r1) (row-major, for Eigen).
void im2col_rows(const float* x_n, const ConvGeometry& g, int64_t r0, int64_t r1, float* col) {
  const int64_t t_cols = (r1 - r0) * g.out_w;
  for (int64_t c = 0, k = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw, ++k) {
        for (int64_t oh = r0; oh < r1; ++oh) {
          patch_row(x_n, g, c, kh, kw, oh, col + k * t_cols + (oh - r0) * g.out_w);
        }
      }
    }
  }
}

// The same patches in the AVX2 kernels' panel layout {ceil(T/24)}{Kp}{24}, zero padded.
// Written straight into the panels: whole in-image pieces are fixed-size copies.
void im2col_rows_packed(const float* x_n, const ConvGeometry& g, int64_t r0, int64_t r1,
                        float* packed) {
  const int64_t t_cols = (r1 - r0) * g.out_w, kp = g.patch_padded();
  const int64_t panels = (t_cols + kPanelWidth - 1) / kPanelWidth;
  for (int64_t c = 0, k = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw, ++k) {
        int64_t lo, hi;
        g.valid_columns(kw, lo, hi);
        for (int64_t oh = r0; oh < r1; ++oh) {
          const int64_t ih = oh * g.stride - g.padding + kh;
          const bool row_inside = ih >= 0 && ih < g.height;
          const float* src = x_n + (c * g.height + ih) * g.width - g.padding + kw;
          for (int64_t ow0 = 0; ow0 < g.out_w;) {
            const int64_t t = (oh - r0) * g.out_w + ow0;
            const int64_t piece = std::min(g.out_w - ow0, kPanelWidth - t % kPanelWidth);
            float* dst = packed + ((t / kPanelWidth) * kp + k) * kPanelWidth + t % kPanelWidth;
            if (!row_inside) {
              std::fill_n(dst, piece, 0.0f);
            } else if (g.stride == 1 && ow0 >= lo && ow0 + piece <= hi) {
              if (piece == kPanelWidth) {
                std::memcpy(dst, src + ow0, sizeof(float) * kPanelWidth);
              } else {
                std::memcpy(dst, src + ow0, sizeof(float) * static_cast<size_t>(piece));
              }
            } else {
              for (int64_t j = 0; j < piece; ++j) {
                const int64_t ow = ow0 + j;
                dst[j] = ow >= lo && ow < hi ? src[ow * g.stride] : 0.0f;
              }
            }
            ow0 += piece;
          }
        }
      }
    }
  }
  // Zero the padding: patch rows K..Kp of every panel, and the last panel's unused columns.
  for (int64_t p = 0; p < panels; ++p) {
    for (int64_t k = g.patch(); k < kp; ++k) {
      std::fill_n(packed + (p * kp + k) * kPanelWidth, kPanelWidth, 0.0f);
    }
  }
  if (const int64_t used = t_cols % kPanelWidth) {
    for (int64_t k = 0; k < kp; ++k) {
      float* row = packed + ((panels - 1) * kp + k) * kPanelWidth;
      std::fill(row + used, row + kPanelWidth, 0.0f);
    }
  }
}

// Offsets of the patch rows in an image: k = (c, kh, kw) -> (c*H + kh)*W + kw. With stride 1
// and no padding, patch row k of output positions starting at (oh, ow) is the input at
// x_n + oh*W + ow + offsets[k], which the direct kernels read without an im2col copy.
std::vector<int64_t> patch_offsets(const ConvGeometry& g) {
  std::vector<int64_t> offsets;
  for (int64_t c = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw)
        offsets.push_back((c * g.height + kh) * g.width + kw);
    }
  }
  return offsets;
}

// The packed panel {Kp}{24} of `width` < 24 positions starting at src (a row's short tail).
void gather_tail_panel(const float* src, const std::vector<int64_t>& offsets, int64_t kp,
                       int64_t width, float* panel) {
  std::fill_n(panel, kp * kPanelWidth, 0.0f);
  for (size_t k = 0; k < offsets.size(); ++k) {
    std::copy_n(src + offsets[k], width, panel + static_cast<int64_t>(k) * kPanelWidth);
  }
}

// Weights {O, K} in the forward kernel's layout {ceil(O/4)}{Kp}{4}, zero padded.
Tensor pack_weights(const Tensor& weight, const ConvGeometry& g) {
  const int64_t k = g.patch(), kp = g.patch_padded();
  const int64_t blocks = (g.out_channels + kRowBlock - 1) / kRowBlock;
  Tensor packed = Tensor::zeros({blocks * kp * kRowBlock});
  for (int64_t o = 0; o < g.out_channels; ++o) {
    for (int64_t j = 0; j < k; ++j) {
      packed.data()[((o / kRowBlock) * kp + j) * kRowBlock + o % kRowBlock] =
          weight.data()[o * k + j];
    }
  }
  return packed;
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

Shape conv2d_output_shape(const Shape& x, const Shape& weight, int64_t stride, int64_t padding,
                          const char* op) {
  check_arg(x.size() == 4 && weight.size() == 4, op,
            "expects x {N, C, H, W} and weight {O, C, KH, KW}, got x ", shape_str(x),
            " and weight ", shape_str(weight));
  check_arg(x[1] == weight[1], op, "x ", shape_str(x), " has ", x[1], " channels but weight ",
            shape_str(weight), " expects ", weight[1]);
  check_arg(stride >= 1, op, "stride must be at least 1, got ", stride);
  check_arg(padding >= 0, op, "padding must be non-negative, got ", padding);
  check_arg(weight[2] <= x[2] + 2 * padding && weight[3] <= x[3] + 2 * padding, op, "kernel ",
            weight[2], "x", weight[3], " is larger than the padded input ", x[2] + 2 * padding, "x",
            x[3] + 2 * padding, " (x ", shape_str(x), ", padding ", padding, ")");
  return {x[0], weight[0], (x[2] + 2 * padding - weight[2]) / stride + 1,
          (x[3] + 2 * padding - weight[3]) / stride + 1};
}

void conv2d_check_args(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                       int64_t padding) {
  check_arg(x.defined() && weight.defined(), "conv2d", "undefined input or weight");
  conv2d_output_shape(x.shape(), weight.shape(), stride, padding);
  check_arg(!bias.defined() || bias.shape() == Shape{weight.size(0)}, "conv2d", "bias ",
            bias.defined() ? shape_str(bias.shape()) : "", " does not match weight ",
            shape_str(weight.shape()));
}

Tensor conv2d_forward_direct(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  const ConvGeometry g(x.shape(), weight.shape(), 1, 0);
  const Tensor packed_w = pack_weights(weight, g);
  const std::vector<int64_t> offsets = patch_offsets(g);
  const int64_t p = g.positions(), full_panels = g.out_w / kPanelWidth;
  const int64_t tail = g.out_w % kPanelWidth, kp = g.patch_padded();
  const float* b = bias.defined() ? bias.data() : nullptr;
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w});
  // One work item per output row of one image.
  parallel_chunks(g.batch * g.out_h, [&](int64_t begin, int64_t end, int) {
    Tensor panel = tail ? Tensor::empty({kp * kPanelWidth}) : Tensor();
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / g.out_h, oh = item % g.out_h;
      const float* row = x.data() + n * g.channels * g.height * g.width + oh * g.width;
      float* y_row = y.data() + n * g.out_channels * p + oh * g.out_w;
      detail::conv_forward_direct_avx2(packed_w.data(), row, offsets.data(), g.out_channels,
                                       g.patch(), kp, b, y_row, p, full_panels);
      if (tail) {
        gather_tail_panel(row + full_panels * kPanelWidth, offsets, kp, tail, panel.data());
        detail::conv_forward_avx2(packed_w.data(), panel.data(), g.out_channels, kp, tail, b,
                                  y_row + full_panels * kPanelWidth, p);
      }
    }
  });
  return y;
}

Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                      int64_t padding) {
  if (use_avx2() && stride == 1) {
    return conv2d_forward_direct(padding ? zero_pad2d(x, padding).detach() : x, weight, bias);
  }
  const ConvGeometry g(x.shape(), weight.shape(), stride, padding);
  const int64_t k = g.patch(), p = g.positions(), tiles = g.tiles();
  const int64_t tile_cols = g.rows_per_tile() * g.out_w;
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w});
  const bool avx2 = use_avx2();
  const Tensor packed_w = avx2 ? pack_weights(weight, g) : Tensor();
  const ConstMatrixMap w(weight.data(), g.out_channels, k);

  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int) {
    Tensor col = Tensor::empty({g.patch_padded() * round_up(tile_cols, kPanelWidth)});
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = g.tile_begin(item % tiles),
                    r1 = g.tile_end(item % tiles);
      const int64_t t_cols = (r1 - r0) * g.out_w;
      const float* x_n = x.data() + n * g.channels * g.height * g.width;
      float* y_tile = y.data() + n * g.out_channels * p + r0 * g.out_w;
      if (avx2) {
        im2col_rows_packed(x_n, g, r0, r1, col.data());
        detail::conv_forward_avx2(packed_w.data(), col.data(), g.out_channels, g.patch_padded(),
                                  t_cols, bias.defined() ? bias.data() : nullptr, y_tile, p);
        continue;
      }
      im2col_rows(x_n, g, r0, r1, col.data());
      StridedMatrixMap y_map(y_tile, g.out_channels, t_cols, Eigen::OuterStride<>(p));
      y_map.noalias() = w * ConstMatrixMap(col.data(), k, t_cols);
      if (bias.defined()) y_map.colwise() += as_array(bias).matrix();
    }
  });
  return y;
}

// Scratch for the direct weight gradient of one thread.
struct DirectScratch {
  std::vector<int64_t> src_offsets, dy_offsets;
  Tensor tail_col, tail_dy;  // packed tails of the rows of one work item
};

// dW += the contribution of output rows [r0, r1) of image n, by the direct kernel. The columns
// after each row's last whole panel are gathered into zero-padded packed panels (one per row)
// and go through the packed kernel, so no column is left to scalar code.
void conv2d_weight_grad_direct(const Tensor& grad_y, const Tensor& x, const ConvGeometry& g,
                               int64_t n, int64_t r0, int64_t r1,
                               const std::vector<int64_t>& offsets, DirectScratch& scratch,
                               float* dw) {
  const int64_t p = g.positions(), full_panels = g.out_w / kPanelWidth, k = g.patch();
  const int64_t tail = g.out_w % kPanelWidth, kp = g.patch_padded(), rows = r1 - r0;
  const float* x_n = x.data() + n * g.channels * g.height * g.width;
  const float* dy_n = grad_y.data() + n * g.out_channels * p;
  scratch.src_offsets.clear();
  scratch.dy_offsets.clear();
  for (int64_t oh = r0; oh < r1; ++oh) {
    for (int64_t q = 0; q < full_panels; ++q) {
      scratch.src_offsets.push_back(oh * g.width + q * kPanelWidth);
      scratch.dy_offsets.push_back(oh * g.out_w + q * kPanelWidth);
    }
  }
  detail::conv_weight_grad_direct_avx2(
      dy_n, scratch.dy_offsets.data(), p, x_n, scratch.src_offsets.data(),
      static_cast<int64_t>(scratch.src_offsets.size()), offsets.data(), g.out_channels, k, dw);
  if (!tail) return;
  const int64_t tp = rows * kPanelWidth;
  if (!scratch.tail_col.defined() || scratch.tail_col.numel() < kp * tp) {
    scratch.tail_col = Tensor::empty({kp * tp});
    scratch.tail_dy = Tensor::empty({round_up(g.out_channels, kRowBlock) * tp});
  }
  std::fill_n(scratch.tail_dy.data(), scratch.tail_dy.numel(), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t oh = r0 + r, ow0 = full_panels * kPanelWidth;
    gather_tail_panel(x_n + oh * g.width + ow0, offsets, kp, tail,
                      scratch.tail_col.data() + r * kp * kPanelWidth);
    for (int64_t o = 0; o < g.out_channels; ++o) {
      std::copy_n(dy_n + o * p + oh * g.out_w + ow0, tail,
                  scratch.tail_dy.data() + o * tp + r * kPanelWidth);
    }
  }
  detail::conv_weight_grad_avx2(scratch.tail_dy.data(), scratch.tail_col.data(), g.out_channels, k,
                                kp, tp, dw);
}

std::pair<Tensor, Tensor> conv2d_backward_weights(const Tensor& grad_y, const Tensor& x_in,
                                                  const Shape& weight_shape, int64_t stride,
                                                  int64_t padding, bool with_bias) {
  // The direct kernel reads a zero-padded copy of the input, like the forward pass.
  const bool direct = use_avx2() && stride == 1 && weight_shape[0] % kRowBlock == 0;
  const Tensor x = direct && padding ? zero_pad2d(x_in, padding).detach() : x_in;
  if (direct) padding = 0;
  ConvGeometry g(x.shape(), weight_shape, stride, padding);
  if (direct) g.tile_rows = std::min<int64_t>(g.out_h, 8);
  const std::vector<int64_t> offsets = direct ? patch_offsets(g) : std::vector<int64_t>();
  const int64_t k = g.patch(), p = g.positions(), tiles = g.tiles();
  const int64_t tile_cols = g.rows_per_tile() * g.out_w, tp = round_up(tile_cols, kPanelWidth);
  const bool avx2 = use_avx2();
  // One accumulator per thread, summed in thread order afterwards: deterministic for a given
  // thread count, and no atomics in the hot loop.
  const int threads = num_threads();
  std::vector<Tensor> partial_w(static_cast<size_t>(threads));
  std::vector<Tensor> partial_b(static_cast<size_t>(threads));

  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int thread) {
    const bool packed = avx2 && !direct;
    Tensor col = direct ? Tensor() : Tensor::empty({g.patch_padded() * tp});
    Tensor packed_dy =
        packed ? Tensor::zeros({round_up(g.out_channels, kRowBlock) * tp}) : Tensor();
    Tensor dw = Tensor::zeros({g.out_channels, k});
    Tensor db = Tensor::zeros({g.out_channels});
    auto dw_m = as_matrix(dw, g.out_channels, k);
    DirectScratch scratch;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = g.tile_begin(item % tiles),
                    r1 = g.tile_end(item % tiles);
      const int64_t t_cols = (r1 - r0) * g.out_w;
      const float* x_n = x.data() + n * g.channels * g.height * g.width;
      ConstStridedMatrixMap dy_tile(grad_y.data() + n * g.out_channels * p + r0 * g.out_w,
                                    g.out_channels, t_cols, Eigen::OuterStride<>(p));
      if (with_bias) as_array(db) += dy_tile.rowwise().sum().array();
      if (direct) {
        conv2d_weight_grad_direct(grad_y, x, g, n, r0, r1, offsets, scratch, dw.data());
        continue;
      }
      if (avx2) {
        im2col_rows_packed(x_n, g, r0, r1, col.data());
        // dy rows, zero padded to whole panels (the padding stays zero from the first fill,
        // except after a full tile was followed by a shorter one: clear it then).
        for (int64_t o = 0; o < g.out_channels; ++o) {
          float* row = packed_dy.data() + o * tp;
          std::copy_n(dy_tile.data() + o * p, t_cols, row);
          std::fill(row + t_cols, row + tp, 0.0f);
        }
        detail::conv_weight_grad_avx2(packed_dy.data(), col.data(), g.out_channels, k,
                                      g.patch_padded(), round_up(t_cols, kPanelWidth), dw.data());
        continue;
      }
      im2col_rows(x_n, g, r0, r1, col.data());
      dw_m.noalias() += dy_tile * ConstMatrixMap(col.data(), k, t_cols).transpose();
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

void set_conv_kernel(ConvKernel kernel) {
  check_arg(kernel != ConvKernel::avx2 || detail::cpu_has_avx2_fma(), "set_conv_kernel",
            "this CPU has no AVX2 + FMA");
  requested_kernel.store(kernel);
}

ConvKernel active_conv_kernel() {
  return use_avx2() ? ConvKernel::avx2 : ConvKernel::reference;
}

}  // namespace glia
