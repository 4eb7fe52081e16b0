// relu and sigmoid, forward and backward.
#include "glia/ops/activation.hpp"

#include <cmath>
#include <cstdint>
#include <memory>

#include "glia/autograd/node.hpp"
#include "glia/ops/elementwise.hpp"
#include "glia/tensor/block_cache.hpp"

namespace glia {


namespace {

// relu of `in` into `out` (which may be `in`), and its mask (1 where the input was positive):
// the backward pass needs only the mask, a quarter of the output's size.
std::shared_ptr<uint8_t[]> relu_into(const Tensor& in, Tensor& out, bool keep_mask) {
  auto mask = keep_mask ? cached_array<uint8_t>(static_cast<size_t>(in.numel())) : nullptr;
  const float* src = in.data();
  float* dst = out.data();
  uint8_t* m = mask.get();
  parallel_chunks(
      in.numel(),
      [&](int64_t begin, int64_t end, int) {
        if (m) {  // separate loops: a test inside the loop would stop it vectorising
          for (int64_t i = begin; i < end; ++i) {
            const float v = src[i];
            m[i] = v > 0.0f;
            dst[i] = v > 0.0f ? v : 0.0f;
          }
        } else {
          for (int64_t i = begin; i < end; ++i) dst[i] = src[i] > 0.0f ? src[i] : 0.0f;
        }
      },
      detail::kElementwiseGrain);
  return mask;
}

Tensor relu_impl(const Tensor& x, bool in_place) {
  check_arg(x.defined(), "relu", "undefined tensor");
  const bool record_graph = needs_graph({&x});
  Tensor out = in_place ? x.detach() : Tensor::empty(x.shape());
  auto mask = relu_into(x, out, record_graph);
  if (record_graph) {
    record("relu", out, {x}, [mask](Tensor g) {
      // Reuse the incoming gradient's buffer when nobody else holds it.
      Tensor gx = g.is_exclusive() ? g : Tensor::empty(g.shape());
      const float* gin = g.data();
      float* gout = gx.data();
      const uint8_t* m = mask.get();
      parallel_chunks(
          g.numel(),
          [&](int64_t begin, int64_t end, int) {
            // A multiply by 0 or 1 rather than a select: it vectorises (u8 -> f32 widening).
            for (int64_t i = begin; i < end; ++i) gout[i] = gin[i] * static_cast<float>(m[i]);
          },
          detail::kElementwiseGrain);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) { return relu_impl(x, false); }

Tensor relu(Tensor&& x) {
  const bool in_place = x.is_exclusive() && !(x.is_leaf() && x.requires_grad());
  return relu_impl(x, in_place);
}

Tensor sigmoid(const Tensor& x) {
  check_arg(x.defined(), "sigmoid", "undefined tensor");
  Tensor out = Tensor::empty(x.shape());
  const float* in = x.data();
  float* o = out.data();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float e = std::exp(-std::fabs(in[i]));
    o[i] = in[i] >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
  }
  if (needs_graph({&x})) {
    record("sigmoid", out, {x}, [y = out.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(
          g, y, [](const auto& gv, const auto& yv) { return gv * yv * (1.0f - yv); })};
    });
  }
  return out;
}

}  // namespace glia
