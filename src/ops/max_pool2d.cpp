// max_pool2d forward and backward.
//
// Shapes: x {N, C, H, W} -> y {N, C, OH, OW}, OH = (H - kernel) / stride + 1.
// The forward pass remembers, for each output, the plane offset of the first maximum in its
// window (int32: planes are far smaller than 2^31); the backward pass adds dy there.
#include "glia/ops/max_pool2d.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"

namespace glia {

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride) {
  check_arg(x.defined() && x.dim() == 4, "max_pool2d", "expects x {N, C, H, W}, got ",
            x.defined() ? shape_str(x.shape()) : "undefined");
  if (stride == 0) stride = kernel;
  check_arg(kernel >= 1 && stride >= 1, "max_pool2d", "kernel and stride must be positive, got ",
            kernel, " and ", stride);
  const int64_t h = x.size(2), w = x.size(3);
  check_arg(kernel <= h && kernel <= w, "max_pool2d", "kernel ", kernel,
            " is larger than the input ", shape_str(x.shape()));
  const int64_t oh = (h - kernel) / stride + 1, ow = (w - kernel) / stride + 1;
  const int64_t planes = x.size(0) * x.size(1);

  Tensor y = Tensor::empty({x.size(0), x.size(1), oh, ow});
  const bool record_graph = needs_graph({&x});
  auto argmax = std::make_shared<std::vector<int32_t>>(record_graph ? y.numel() : 0);

  parallel_for(planes, [&](int64_t p) {
    const float* in = x.data() + p * h * w;
    float* out = y.data() + p * oh * ow;
    int32_t* where = record_graph ? argmax->data() + p * oh * ow : nullptr;
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        int64_t best = i * stride * w + j * stride;
        for (int64_t di = 0; di < kernel; ++di) {
          const int64_t row = (i * stride + di) * w + j * stride;
          for (int64_t dj = 0; dj < kernel; ++dj) {
            if (in[row + dj] > in[best]) best = row + dj;
          }
        }
        out[i * ow + j] = in[best];
        if (where) where[i * ow + j] = static_cast<int32_t>(best);
      }
    }
  });

  if (record_graph) {
    record("max_pool2d", y, {x}, [argmax, x_shape = x.shape(), h, w, oh, ow](const Tensor& g) {
      Tensor gx = Tensor::zeros(x_shape);
      parallel_for(x_shape[0] * x_shape[1], [&](int64_t p) {
        const float* dy = g.data() + p * oh * ow;
        const int32_t* where = argmax->data() + p * oh * ow;
        float* dx = gx.data() + p * h * w;
        for (int64_t i = 0; i < oh * ow; ++i) dx[where[i]] += dy[i];
      });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace glia
