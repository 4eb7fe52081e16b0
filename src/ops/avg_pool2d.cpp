// avg_pool2d and global_avg_pool2d, forward and backward.
//
// Shapes: x {N, C, H, W} -> y {N, C, OH, OW} (pool2d_output_shape), or {N, C, 1, 1} for the
// global pool. One (n, c) plane per work item; each window (or plane) is summed in double.
#include <algorithm>

#include "glia/autograd/node.hpp"
#include "glia/ops/pooling.hpp"
#include "glia/support/parallel.hpp"

namespace glia {

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride) {
  check_arg(x.defined(), "avg_pool2d", "undefined input");
  const Shape y_shape = pool2d_output_shape(x.shape(), kernel, stride, "avg_pool2d");
  if (stride == 0) stride = kernel;
  const int64_t h = x.size(2), w = x.size(3), oh = y_shape[2], ow = y_shape[3];
  const int64_t planes = x.size(0) * x.size(1);
  const double inv_area = 1.0 / static_cast<double>(kernel * kernel);
  Tensor y = Tensor::empty(y_shape);
  parallel_for(planes, [&](int64_t p) {
    const float* in = x.data() + p * h * w;
    float* out = y.data() + p * oh * ow;
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        double total = 0.0;
        for (int64_t di = 0; di < kernel; ++di) {
          const float* row = in + (i * stride + di) * w + j * stride;
          for (int64_t dj = 0; dj < kernel; ++dj) total += row[dj];
        }
        out[i * ow + j] = static_cast<float>(total * inv_area);
      }
    }
  });
  if (needs_graph({&x})) {
    record("avg_pool2d", y, {x}, [=, x_shape = x.shape()](const Tensor& g) {
      Tensor gx = Tensor::zeros(x_shape);
      const float share = static_cast<float>(inv_area);
      parallel_for(planes, [&](int64_t p) {
        const float* dy = g.data() + p * oh * ow;
        float* dx = gx.data() + p * h * w;
        for (int64_t i = 0; i < oh; ++i) {
          for (int64_t j = 0; j < ow; ++j) {
            const float v = dy[i * ow + j] * share;
            for (int64_t di = 0; di < kernel; ++di) {
              float* row = dx + (i * stride + di) * w + j * stride;
              for (int64_t dj = 0; dj < kernel; ++dj) row[dj] += v;
            }
          }
        }
      });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

Tensor global_avg_pool2d(const Tensor& x) {
  check_arg(x.defined() && x.dim() == 4, "global_avg_pool2d", "expects x {N, C, H, W}, got ",
            shape_str(x));
  const int64_t plane = x.size(2) * x.size(3), planes = x.size(0) * x.size(1);
  check_arg(plane > 0, "global_avg_pool2d", "empty planes in ", shape_str(x.shape()));
  Tensor y = Tensor::empty({x.size(0), x.size(1), 1, 1});
  parallel_for(
      planes,
      [&](int64_t p) {
        const float* in = x.data() + p * plane;
        double total = 0.0;
        for (int64_t i = 0; i < plane; ++i) total += in[i];
        y.data()[p] = static_cast<float>(total / static_cast<double>(plane));
      },
      std::max<int64_t>(1, 4096 / plane));
  if (needs_graph({&x})) {
    record("global_avg_pool2d", y, {x}, [plane, planes, x_shape = x.shape()](const Tensor& g) {
      Tensor gx = Tensor::empty(x_shape);
      const float inv = 1.0f / static_cast<float>(plane);
      parallel_for(
          planes, [&](int64_t p) { std::fill_n(gx.data() + p * plane, plane, g.data()[p] * inv); });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace glia
