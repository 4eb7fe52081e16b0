// cat, forward and backward.
//
// Shapes: each input i viewed as {outer, e_i, inner} around `dim`; the result {outer, sum e_i,
// inner} holds input i's block of e_i * inner values at column offset (e_0 + ... + e_{i-1}) *
// inner of every outer row.
#include "glia/ops/cat.hpp"

#include <cstring>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"

namespace glia {
namespace {

// Copies `count` blocks of `block` floats between two row-major layouts with row strides.
void copy_blocks(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                 int64_t block) {
  parallel_for(
      rows,
      [&](int64_t r) {
        std::memcpy(dst + r * dst_stride, src + r * src_stride,
                    sizeof(float) * static_cast<size_t>(block));
      },
      std::max<int64_t>(1, 8192 / std::max<int64_t>(block, 1)));
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  check_arg(!tensors.empty(), "cat", "needs at least one tensor");
  for (const Tensor& t : tensors) check_arg(t.defined(), "cat", "undefined tensor in the list");
  const Shape& first = tensors[0].shape();
  dim = normalize_dim(dim, static_cast<int64_t>(first.size()), "cat");
  Shape out_shape = first;
  out_shape[static_cast<size_t>(dim)] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    bool fits = s.size() == first.size();
    for (size_t a = 0; fits && a < s.size(); ++a) {
      fits = static_cast<int64_t>(a) == dim || s[a] == first[a];
    }
    check_arg(fits, "cat", "tensor ", i, " has shape ", shape_str(s), ", which does not match ",
              shape_str(first), " outside dim ", dim);
    out_shape[static_cast<size_t>(dim)] += s[static_cast<size_t>(dim)];
  }
  const AxisSplit whole = split_at(out_shape, dim);
  const int64_t row = whole.extent * whole.inner;
  Tensor out = Tensor::empty(out_shape);
  std::vector<int64_t> offsets;  // column offset of each input in a row of the result
  int64_t column = 0;
  for (const Tensor& t : tensors) {
    offsets.push_back(column);
    const int64_t block = t.size(dim) * whole.inner;
    if (block) copy_blocks(t.data(), block, out.data() + column, row, whole.outer, block);
    column += block;
  }
  if (needs_graph(tensors)) {
    std::vector<Shape> shapes;
    std::vector<bool> need;
    for (const Tensor& t : tensors) {
      shapes.push_back(t.shape());
      need.push_back(t.requires_grad());
    }
    record("cat", out, tensors, [=](const Tensor& g) {
      std::vector<Tensor> grads(shapes.size());
      for (size_t i = 0; i < shapes.size(); ++i) {
        if (!need[i]) continue;
        grads[i] = Tensor::empty(shapes[i]);
        const int64_t block = shapes[i][static_cast<size_t>(dim)] * whole.inner;
        if (block)
          copy_blocks(g.data() + offsets[i], row, grads[i].data(), block, whole.outer, block);
      }
      return grads;
    });
  }
  return out;
}

}  // namespace glia
