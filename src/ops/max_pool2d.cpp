// max_pool2d forward and backward.
//
// Shapes: x {N, C, H, W} -> y {N, C, OH, OW}, OH = (H - kernel) / stride + 1.
// Forward, per output row: the column-wise maximum over the window's input rows (contiguous,
// vectorisable), then the maximum over each window's columns. For the backward pass it keeps,
// per output, the plane offset of the window's first maximum in raster order (int32: planes are
// far smaller than 2^31). Backward with stride == kernel writes every input element once (the
// windows tile the plane); overlapping windows fall back to zero-fill and scatter-add.
#include "glia/ops/pooling.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "glia/tensor/block_cache.hpp"
#include "glia/tensor/eigen.hpp"

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"

namespace glia {
namespace {

struct PoolGeometry {
  int64_t h, w, kernel, stride, oh, ow;
};

// Scratch rows for one thread's planes.
struct PoolScratch {
  std::vector<float> column_max, column_row;  // per input column, for the current window row
  std::vector<float> value;                   // per window: one window column's maximum
  std::vector<int32_t> offset;                // and its plane offset
  PoolScratch(int64_t w, int64_t ow)
      : column_max(static_cast<size_t>(w)),
        column_row(static_cast<size_t>(w)),
        value(static_cast<size_t>(ow)),
        offset(static_cast<size_t>(ow)) {}
};

// One plane: y[i][j] = max of the window, and where[i][j] its offset (if where is not null).
// column_row holds row numbers as floats (exact below 2^24) so that the column pass is one
// vectorised compare-and-blend over contiguous memory.
void pool_plane(const float* in, const PoolGeometry& g, float* out, int32_t* where,
                PoolScratch& s) {
  using Row = Eigen::Map<Eigen::ArrayXf>;
  using ConstRow = Eigen::Map<const Eigen::ArrayXf>;
  using OffsetRow = Eigen::Map<Eigen::Array<int32_t, Eigen::Dynamic, 1>>;
  float* column_max = s.column_max.data();
  const float* column_row = s.column_row.data();
  Row cmax(column_max, g.w);
  Row crow(s.column_row.data(), g.w);
  for (int64_t i = 0; i < g.oh; ++i) {
    const int64_t top = i * g.stride;
    cmax = ConstRow(in + top * g.w, g.w);
    if (where) crow.setConstant(static_cast<float>(top));
    for (int64_t di = 1; di < g.kernel; ++di) {
      const ConstRow row(in + (top + di) * g.w, g.w);
      // Strict >: on ties the topmost row is kept.
      if (where) crow = (row > cmax).select(static_cast<float>(top + di), crow);
      cmax = cmax.max(row);
    }
    if (!where) {
      for (int64_t j = 0; j < g.ow; ++j) {
        const float* window = column_max + j * g.stride;
        out[i * g.ow + j] = *std::max_element(window, window + g.kernel);
      }
      continue;
    }
    // Column d of every window is gathered into one contiguous row, then merged into the best
    // so far by vectorised selects (on real data the outcome is a coin flip: no branches).
    // Raster order: a higher value wins; an equal one wins if it lies at a smaller offset.
    Row best_value(out + i * g.ow, g.ow);
    OffsetRow best_offset(where + i * g.ow, g.ow);
    Row value(s.value.data(), g.ow);
    OffsetRow offset(s.offset.data(), g.ow);
    for (int64_t d = 0; d < g.kernel; ++d) {
      Row& v = d == 0 ? best_value : value;
      OffsetRow& o = d == 0 ? best_offset : offset;
      for (int64_t j = 0; j < g.ow; ++j) {
        const int64_t c = j * g.stride + d;
        v[j] = column_max[c];
        o[j] = static_cast<int32_t>(static_cast<int64_t>(column_row[c]) * g.w + c);
      }
      if (d == 0) continue;
      const auto take = (value > best_value) || ((value == best_value) && (offset < best_offset));
      best_offset = take.select(offset, best_offset);
      best_value = take.select(value, best_value);
    }
  }
}

}  // namespace

Shape pool2d_output_shape(const Shape& x, int64_t kernel, int64_t stride, const char* op) {
  check_arg(x.size() == 4, op, "expects x {N, C, H, W}, got ", shape_str(x));
  if (stride == 0) stride = kernel;
  check_arg(kernel >= 1 && stride >= 1, op, "kernel and stride must be positive, got ", kernel,
            " and ", stride);
  check_arg(kernel <= x[2] && kernel <= x[3], op, "kernel ", kernel, " is larger than the input ",
            shape_str(x));
  return {x[0], x[1], (x[2] - kernel) / stride + 1, (x[3] - kernel) / stride + 1};
}

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride) {
  check_arg(x.defined(), "max_pool2d", "undefined input");
  const Shape y_shape = pool2d_output_shape(x.shape(), kernel, stride, "max_pool2d");
  if (stride == 0) stride = kernel;
  const int64_t h = x.size(2), w = x.size(3);
  const PoolGeometry g{h, w, kernel, stride, y_shape[2], y_shape[3]};
  const int64_t planes = x.size(0) * x.size(1);

  Tensor y = Tensor::empty(y_shape);
  const bool record_graph = needs_graph({&x});
  auto argmax = record_graph ? cached_array<int32_t>(static_cast<size_t>(y.numel())) : nullptr;

  parallel_chunks(planes, [&](int64_t begin, int64_t end, int) {
    PoolScratch scratch(w, g.ow);
    for (int64_t p = begin; p < end; ++p) {
      pool_plane(x.data() + p * h * w, g, y.data() + p * g.oh * g.ow,
                 record_graph ? argmax.get() + p * g.oh * g.ow : nullptr, scratch);
    }
  });

  if (record_graph) {
    record("max_pool2d", y, {x}, [argmax, x_shape = x.shape(), g](const Tensor& dy_all) {
      Tensor dx_all = Tensor::empty(x_shape);
      parallel_for(x_shape[0] * x_shape[1], [&](int64_t p) {
        const float* dy = dy_all.data() + p * g.oh * g.ow;
        const int32_t* where = argmax.get() + p * g.oh * g.ow;
        float* dx = dx_all.data() + p * g.h * g.w;
        if (g.stride != g.kernel) {
          std::fill_n(dx, g.h * g.w, 0.0f);
          for (int64_t i = 0; i < g.oh * g.ow; ++i) dx[where[i]] += dy[i];
          return;
        }
        // Non-overlapping windows: zero one band of window rows at a time and set its maxima
        // while the band is in cache; each element is written once, with no adds.
        for (int64_t i = 0; i < g.oh; ++i) {
          std::fill_n(dx + i * g.kernel * g.w, g.kernel * g.w, 0.0f);
          for (int64_t j = 0; j < g.ow; ++j) dx[where[i * g.ow + j]] = dy[i * g.ow + j];
        }
        // Rows below the last window (floor mode) get no gradient.
        std::fill(dx + g.oh * g.kernel * g.w, dx + g.h * g.w, 0.0f);
      });
      return std::vector<Tensor>{dx_all};
    });
  }
  return y;
}

}  // namespace glia
