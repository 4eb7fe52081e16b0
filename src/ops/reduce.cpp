// Axis reductions, forward and backward.
//
// Shapes: x viewed as {outer, extent, inner} around the reduced axis (split_at) -> {outer,
// inner}; out[o][i] = scale * sum_d x[o][d][i], summed in d order in double, so that the result
// does not depend on the thread count. Backward: every x[o][d][i] receives scale * g[o][i].
#include <algorithm>
#include <set>

#include "glia/ops/elementwise.hpp"
#include "glia/ops/reduce.hpp"
#include "glia/support/parallel.hpp"

namespace glia {
namespace {

Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape out;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    const bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
    if (!reduced) out.push_back(shape[static_cast<size_t>(i)]);
    if (reduced && keepdim) out.push_back(1);
  }
  return out;
}

// x summed along axis `dim` and multiplied by `scale`, keeping the axis with extent 1.
Tensor reduce_axis(const Tensor& x, int64_t dim, double scale) {
  const AxisSplit s = split_at(x.shape(), dim);
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(dim)] = 1;
  Tensor out = Tensor::empty(out_shape);
  parallel_chunks(
      s.outer,
      [&](int64_t begin, int64_t end, int) {
        std::vector<double> acc(static_cast<size_t>(s.inner));
        for (int64_t o = begin; o < end; ++o) {
          std::fill(acc.begin(), acc.end(), 0.0);
          for (int64_t d = 0; d < s.extent; ++d) {
            const float* row = x.data() + (o * s.extent + d) * s.inner;
            for (int64_t i = 0; i < s.inner; ++i) acc[static_cast<size_t>(i)] += row[i];
          }
          float* dst = out.data() + o * s.inner;
          for (int64_t i = 0; i < s.inner; ++i)
            dst[i] = static_cast<float>(acc[static_cast<size_t>(i)] * scale);
        }
      },
      std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, s.extent * s.inner)));
  return out;
}

Tensor reduce(const Tensor& x, std::vector<int64_t> dims, bool keepdim, bool average,
              const char* op) {
  check_arg(x.defined(), op, "undefined tensor");
  check_arg(!dims.empty(), op, "needs at least one dim");
  const int64_t rank = x.dim();
  for (int64_t& d : dims) d = normalize_dim(d, rank, op);
  check_arg(std::set<int64_t>(dims.begin(), dims.end()).size() == dims.size(), op,
            "a dim is listed twice");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.size(d);
  check_arg(!average || count > 0, op, "mean over an empty axis of ", shape_str(x.shape()));
  // One axis at a time, the last first: each pass reads the previous result.
  std::sort(dims.rbegin(), dims.rend());
  Tensor out = x.detach();
  for (size_t k = 0; k < dims.size(); ++k) {
    const bool last = k + 1 == dims.size();
    out = reduce_axis(out, dims[k], average && last ? 1.0 / static_cast<double>(count) : 1.0);
  }
  const Shape final_shape = reduced_shape(x.shape(), dims, keepdim);
  const Shape kept_shape = reduced_shape(x.shape(), dims, true);
  out = out.view_as_shape(final_shape);
  if (needs_graph({&x})) {
    const float scale = average ? 1.0f / static_cast<float>(count) : 1.0f;
    record(op, out, {x}, [=, shape = x.shape()](const Tensor& g) {
      Tensor gx = detail::expand_to(g.view_as_shape(kept_shape), shape);
      if (scale != 1.0f) gx = detail::map_array(gx, [scale](const auto& v) { return v * scale; });
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce(x, {dim}, keepdim, false, "sum");
}
Tensor mean(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce(x, {dim}, keepdim, true, "mean");
}
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce(x, dims, keepdim, false, "sum");
}
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce(x, dims, keepdim, true, "mean");
}

}  // namespace glia
