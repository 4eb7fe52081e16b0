// conv2d: argument checks, autograd recording, the portable reference path, and the one
// dispatch point per direction to the tuned kernels (src/ops/conv2d/, one file per ISA).
//
// The reference path is im2col + Eigen GEMM, tiled so that a column tile stays in L2. Per
// image n: x_n {C, H, W}, weights as a matrix W {O, K} with K = C*KH*KW, y_n {O, P} with
// P = OH*OW. A tile is a band of whole output rows [r0, r1), T = (r1-r0)*OW columns; col {K, T}
// holds the input patches of those outputs, and
//   forward:          y_n[:, tile]  = W col + b
//   weight gradient:  dW           += dy_n[:, tile] col^T      (per thread, reduced once)
//   input gradient:   dcol          = W^T dy_n[:, tile], scattered back by col2im.
#include "glia/ops/conv2d.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conv2d/geometry.hpp"
#include "conv2d/kernels.hpp"
#include "glia/autograd/node.hpp"
#include "glia/support/cpu.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace {

using conv::Geometry;
using StridedMatrixMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMatrixMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;

constexpr int64_t kTileBytes = 192 * 1024;  // col tile budget: well inside a 512 KB L2

// Output rows per reference tile: as many as keep an im2col tile within kTileBytes.
int64_t rows_per_tile(const Geometry& g) {
  const int64_t row_bytes = g.patch() * g.out_w * static_cast<int64_t>(sizeof(float));
  return std::clamp<int64_t>(kTileBytes / std::max<int64_t>(row_bytes, 1), 1, g.out_h);
}

// col {K, T} <- patches of x_n {C, H, W} for output rows [r0, r1), zero outside the image.
void im2col_rows(const float* x_n, const Geometry& g, int64_t r0, int64_t r1, float* col) {
  const int64_t t_cols = (r1 - r0) * g.out_w;
  for (int64_t c = 0, k = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw, ++k) {
        int64_t lo, hi;
        g.valid_columns(kw, lo, hi);
        for (int64_t oh = r0; oh < r1; ++oh) {
          float* out = col + k * t_cols + (oh - r0) * g.out_w;
          const int64_t ih = oh * g.stride - g.pad_h + kh;
          if (ih < 0 || ih >= g.height) {
            std::fill(out, out + g.out_w, 0.0f);
            continue;
          }
          const float* src = x_n + (c * g.height + ih) * g.width - g.pad_w + kw;
          std::fill(out, out + lo, 0.0f);
          for (int64_t ow = lo; ow < hi; ++ow) out[ow] = src[ow * g.stride];
          std::fill(out + hi, out + g.out_w, 0.0f);
        }
      }
    }
  }
}

// dx_n {C, H, W} += the patches in dcol {K, T} for output rows [r0, r1) (inverse of im2col).
void col2im_rows(const float* dcol, const Geometry& g, int64_t r0, int64_t r1, float* dx_n) {
  const int64_t t_cols = (r1 - r0) * g.out_w;
  for (int64_t c = 0, k = 0; c < g.channels; ++c) {
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      for (int64_t kw = 0; kw < g.kernel_w; ++kw, ++k) {
        int64_t lo, hi;
        g.valid_columns(kw, lo, hi);
        for (int64_t oh = r0; oh < r1; ++oh) {
          const int64_t ih = oh * g.stride - g.pad_h + kh;
          if (ih < 0 || ih >= g.height) continue;
          const float* src = dcol + k * t_cols + (oh - r0) * g.out_w;
          float* dst = dx_n + (c * g.height + ih) * g.width - g.pad_w + kw;
          for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.stride] += src[ow];
        }
      }
    }
  }
}

void forward_reference(const Geometry& g, const float* x, const float* w, const float* bias,
                       float* y) {
  const int64_t k = g.patch(), p = g.positions(), rows = rows_per_tile(g);
  const int64_t tiles = (g.out_h + rows - 1) / rows;
  const ConstMatrixMap wm(w, g.out_channels, k);
  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int) {
    Tensor col = Tensor::empty({k * rows * g.out_w});
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = (item % tiles) * rows;
      const int64_t r1 = std::min(g.out_h, r0 + rows), t_cols = (r1 - r0) * g.out_w;
      im2col_rows(x + n * g.image_size(), g, r0, r1, col.data());
      StridedMatrixMap y_map(y + n * g.output_size() + r0 * g.out_w, g.out_channels, t_cols,
                             Eigen::OuterStride<>(p));
      y_map.noalias() = wm * ConstMatrixMap(col.data(), k, t_cols);
      if (bias) y_map.colwise() += Eigen::Map<const Eigen::VectorXf>(bias, g.out_channels);
    }
  });
}

void backward_data_reference(const Geometry& g, const float* dy, const float* w, float* dx) {
  const int64_t k = g.patch(), p = g.positions(), rows = rows_per_tile(g);
  const ConstMatrixMap wm(w, g.out_channels, k);
  // Split by image: neighbouring tiles of one image scatter into overlapping input rows.
  parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int) {
    Tensor dcol = Tensor::empty({k * rows * g.out_w});
    for (int64_t n = begin; n < end; ++n) {
      float* dx_n = dx + n * g.image_size();
      std::fill(dx_n, dx_n + g.image_size(), 0.0f);
      for (int64_t r0 = 0; r0 < g.out_h; r0 += rows) {
        const int64_t r1 = std::min(g.out_h, r0 + rows), t_cols = (r1 - r0) * g.out_w;
        ConstStridedMatrixMap dy_tile(dy + n * g.output_size() + r0 * g.out_w, g.out_channels,
                                      t_cols, Eigen::OuterStride<>(p));
        MatrixMap(dcol.data(), k, t_cols).noalias() = wm.transpose() * dy_tile;
        col2im_rows(dcol.data(), g, r0, r1, dx_n);
      }
    }
  });
}

void backward_weights_reference(const Geometry& g, const float* dy, const float* x, float* dw,
                                float* db) {
  const int64_t k = g.patch(), p = g.positions(), rows = rows_per_tile(g);
  const int64_t tiles = (g.out_h + rows - 1) / rows;
  // One accumulator per thread, summed in thread order afterwards: deterministic for a given
  // thread count, and no atomics in the hot loop.
  const int threads = num_threads();
  std::vector<Tensor> partial_w(static_cast<size_t>(threads)), partial_b(partial_w.size());
  parallel_chunks(g.batch * tiles, [&](int64_t begin, int64_t end, int thread) {
    Tensor col = Tensor::empty({k * rows * g.out_w});
    Tensor dw_t = Tensor::zeros({g.out_channels, k}), db_t = Tensor::zeros({g.out_channels});
    auto dw_m = as_matrix(dw_t, g.out_channels, k);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / tiles, r0 = (item % tiles) * rows;
      const int64_t r1 = std::min(g.out_h, r0 + rows), t_cols = (r1 - r0) * g.out_w;
      ConstStridedMatrixMap dy_tile(dy + n * g.output_size() + r0 * g.out_w, g.out_channels, t_cols,
                                    Eigen::OuterStride<>(p));
      if (db) as_array(db_t) += dy_tile.rowwise().sum().array();
      im2col_rows(x + n * g.image_size(), g, r0, r1, col.data());
      dw_m.noalias() += dy_tile * ConstMatrixMap(col.data(), k, t_cols).transpose();
    }
    partial_w[static_cast<size_t>(thread)] = dw_t;
    partial_b[static_cast<size_t>(thread)] = db_t;
  });
  std::fill_n(dw, g.out_channels * k, 0.0f);
  if (db) std::fill_n(db, g.out_channels, 0.0f);
  for (size_t t = 0; t < partial_w.size(); ++t) {
    if (!partial_w[t].defined()) continue;
    Eigen::Map<Eigen::ArrayXf>(dw, g.out_channels * k) += as_array(partial_w[t]);
    if (db) Eigen::Map<Eigen::ArrayXf>(db, g.out_channels) += as_array(partial_b[t]);
  }
}

std::atomic<int> algorithm_set{-1};  // -1: from GLIA_CONV

ConvAlgorithm algorithm_from_environment() {
  static const ConvAlgorithm chosen = [] {
    const char* env = std::getenv("GLIA_CONV");
    if (!env || !*env || std::string(env) == "auto") return ConvAlgorithm::automatic;
    if (std::string(env) == "direct") return ConvAlgorithm::direct;
    check_arg(std::string(env) == "winograd", "GLIA_CONV", "unknown algorithm '", env,
              "' (choose auto, direct or winograd)");
    return ConvAlgorithm::winograd;
  }();
  return chosen;
}

enum class Direction { forward, backward_data, backward_weights };

// Winograd for this problem and direction, by the setting and the rule (conv2d.hpp): measured
// with glia_convbench against the direct kernels (docs/performance.md). Below 16 channels the
// transforms cost more than the multiplications saved; below 100 output positions per image (a
// 7x7 layer) the kernels' transforms, repeated for few tiles, do; the weight gradient pads its
// input channels to whole register panels, so it wants at least 32 of them.
bool use_winograd(const Geometry& g, Direction direction = Direction::forward) {
  if (!conv::winograd_applies(g)) return false;
  switch (conv_algorithm()) {
    case ConvAlgorithm::direct:
      return false;
    case ConvAlgorithm::winograd:
      return true;
    case ConvAlgorithm::automatic:
      break;
  }
  const int64_t min_channels = direction == Direction::backward_weights ? 32 : 16;
  return g.channels >= min_channels && g.out_channels >= 16 && g.positions() >= 100;
}

// The forward pass and the input gradient: Winograd by its rule; else, in automatic mode, the
// channels-last kernel (conv2d/channels_last_forward.hpp) on the shapes where it was measured
// faster (its applies rules); else the kernels of tuned.hpp.
using ForwardKernel = void (*)(const Geometry&, const float*, const float*, const float*, float*);
ForwardKernel forward_kernel(const Geometry& g, const conv::Kernels& kernels) {
  if (use_winograd(g)) return kernels.winograd_forward;
  if (conv_algorithm() == ConvAlgorithm::automatic && kernels.channels_last_forward_applies(g)) {
    return kernels.channels_last_forward;
  }
  return kernels.forward;
}
using DataKernel = void (*)(const Geometry&, const float*, const float*, float*);
DataKernel backward_data_kernel(const Geometry& g, const conv::Kernels& kernels) {
  if (use_winograd(g, Direction::backward_data)) return kernels.winograd_backward_data;
  if (conv_algorithm() == ConvAlgorithm::automatic &&
      kernels.channels_last_backward_data_applies(g)) {
    return kernels.channels_last_backward_data;
  }
  return kernels.backward_data;
}

// The weight gradient: the channels-last kernel (conv2d/channels_last_weights.hpp) wherever
// its channel padding wastes little, as it was measured faster than Winograd's weight gradient
// on every such shape of the suite; then Winograd by its rule; then the im2col-free kernels of
// tuned.hpp. GLIA_CONV=direct keeps the kernels of earlier versions, bit for bit; winograd
// takes Winograd wherever it applies.
using WeightKernel = void (*)(const Geometry&, const float*, const float*, float*, float*);
WeightKernel weight_gradient_kernel(const Geometry& g, const conv::Kernels& kernels) {
  const ConvAlgorithm algorithm = conv_algorithm();
  if (algorithm == ConvAlgorithm::direct) return kernels.backward_weights;
  if (algorithm == ConvAlgorithm::automatic && kernels.channels_last_weights_apply(g)) {
    return kernels.channels_last_backward_weights;
  }
  if (use_winograd(g, Direction::backward_weights)) return kernels.winograd_backward_weights;
  return kernels.channels_last_weights_apply(g) ? kernels.channels_last_backward_weights
                                                : kernels.backward_weights;
}

const conv::Kernels* tuned_kernels() {
  switch (active_isa()) {
    case Isa::avx512:
      return &conv::avx512_kernels();
    case Isa::avx2:
      return &conv::avx2_kernels();
    case Isa::reference:
      break;
  }
  return nullptr;
}

}  // namespace

void set_conv_algorithm(ConvAlgorithm algorithm) {
  algorithm_set = static_cast<int>(algorithm);
}

ConvAlgorithm conv_algorithm() {
  const int set = algorithm_set.load();
  return set < 0 ? algorithm_from_environment() : static_cast<ConvAlgorithm>(set);
}

const char* conv2d_algorithm(const Shape& x, const Shape& weight, int64_t stride, int64_t padding) {
  conv2d_output_shape(x, weight, stride, padding, "conv2d_algorithm");
  if (!tuned_kernels()) return "reference";
  return use_winograd(Geometry(x, weight, stride, padding, padding)) ? "winograd" : "direct";
}

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
            shape_str(bias), " does not match weight ", shape_str(weight.shape()));
}

Tensor conv2d_forward(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                      int64_t padding) {
  const Geometry g(x.shape(), weight.shape(), stride, padding, padding);
  Tensor y = Tensor::empty({g.batch, g.out_channels, g.out_h, g.out_w});
  const float* b = bias.defined() ? bias.data() : nullptr;
  if (const conv::Kernels* tuned = tuned_kernels()) {
    forward_kernel(g, *tuned)(g, x.data(), weight.data(), b, y.data());
  } else {
    forward_reference(g, x.data(), weight.data(), b, y.data());
  }
  return y;
}

Tensor conv2d_backward_input(const Tensor& grad_y, const Tensor& weight, const Shape& x_shape,
                             int64_t stride, int64_t padding) {
  const Geometry g(x_shape, weight.shape(), stride, padding, padding);
  Tensor grad_x = Tensor::empty(x_shape);
  if (const conv::Kernels* tuned = tuned_kernels()) {
    backward_data_kernel(g, *tuned)(g, grad_y.data(), weight.data(), grad_x.data());
  } else {
    backward_data_reference(g, grad_y.data(), weight.data(), grad_x.data());
  }
  return grad_x;
}

std::pair<Tensor, Tensor> conv2d_backward_weights(const Tensor& grad_y, const Tensor& x,
                                                  const Shape& weight_shape, int64_t stride,
                                                  int64_t padding, bool with_bias) {
  const Geometry g(x.shape(), weight_shape, stride, padding, padding);
  Tensor grad_w = Tensor::empty(weight_shape);
  Tensor grad_b = with_bias ? Tensor::empty({g.out_channels}) : Tensor();
  float* db = with_bias ? grad_b.data() : nullptr;
  if (const conv::Kernels* tuned = tuned_kernels()) {
    weight_gradient_kernel(g, *tuned)(g, grad_y.data(), x.data(), grad_w.data(), db);
  } else {
    backward_weights_reference(g, grad_y.data(), x.data(), grad_w.data(), db);
  }
  return {grad_w, grad_b};
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
