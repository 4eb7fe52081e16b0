// Broadcasting for the elementwise ops, as PyTorch (and NumPy) define it.
//
// Shapes line up at their last axis; a missing leading axis or an extent of 1 stretches to the
// other operand's extent. The operands are never copied to the full shape: each gets a stride
// of 0 along the axes it is stretched on, and adjacent axes that step alike in every operand
// are merged, so {N, C, H, W} + {1, C, 1, 1} runs as N*C rows of H*W elements plus one scalar.
#include "glia/ops/elementwise.hpp"

#include <algorithm>

namespace glia {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Axis i of the result, counted from the end in each operand.
    const int64_t ea = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t eb = i < b.size() ? b[b.size() - 1 - i] : 1;
    check_arg(ea == eb || ea == 1 || eb == 1, op, "shapes ", shape_str(a), " and ", shape_str(b),
              " do not broadcast (axis ", static_cast<int64_t>(rank - 1 - i), ": ", ea, " vs ", eb,
              ")");
    out[rank - 1 - i] = ea == 1 ? eb : ea;
  }
  return out;
}

namespace detail {
namespace {

// The result's axes after dropping extent-1 axes and merging neighbours, with each operand's
// element stride per axis (0 where it is stretched).
struct BroadcastPlan {
  std::vector<int64_t> extent;
  std::vector<std::vector<int64_t>> strides;  // one list per operand

  int64_t rows() const {
    int64_t r = 1;
    for (size_t i = 0; i + 1 < extent.size(); ++i) r *= extent[i];
    return r;
  }
  int64_t row_length() const { return extent.empty() ? 1 : extent.back(); }
  int64_t inner_stride(size_t operand) const {
    return extent.empty() ? 0 : strides[operand].back();
  }
  // Offset of row `row` (all axes but the last) in each operand.
  void row_offsets(int64_t row, int64_t* offsets) const {
    for (size_t k = 0; k < strides.size(); ++k) offsets[k] = 0;
    for (size_t i = extent.size() - 1; i-- > 0;) {
      const int64_t index = row % extent[i];
      row /= extent[i];
      for (size_t k = 0; k < strides.size(); ++k) offsets[k] += index * strides[k][i];
    }
  }
};

std::vector<int64_t> aligned_strides(const Shape& operand, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t step = 1;
  for (size_t i = operand.size(); i-- > 0;) {
    const size_t j = i + out.size() - operand.size();
    strides[j] = operand[i] == 1 ? 0 : step;
    step *= operand[i];
  }
  return strides;
}

BroadcastPlan plan_for(const Shape& out, const std::vector<Shape>& operands) {
  std::vector<std::vector<int64_t>> aligned;
  for (const Shape& s : operands) aligned.push_back(aligned_strides(s, out));
  BroadcastPlan plan;
  plan.strides.resize(operands.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;
    bool merge = !plan.extent.empty();
    for (size_t k = 0; merge && k < operands.size(); ++k) {
      merge = plan.strides[k].back() == aligned[k][i] * out[i];
    }
    if (merge) {
      plan.extent.back() *= out[i];
      for (size_t k = 0; k < operands.size(); ++k) plan.strides[k].back() = aligned[k][i];
    } else {
      plan.extent.push_back(out[i]);
      for (size_t k = 0; k < operands.size(); ++k) plan.strides[k].push_back(aligned[k][i]);
    }
  }
  return plan;
}

using Row = Eigen::Map<Eigen::ArrayXf>;
using ConstRow = Eigen::Map<const Eigen::ArrayXf>;

template <class F>
void apply_row(const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n, F f) {
  Row o(out, n);
  if (sa && sb) {
    o = f(ConstRow(a, n), ConstRow(b, n));
  } else if (sa) {
    o = f(ConstRow(a, n), Eigen::ArrayXf::Constant(n, *b));
  } else if (sb) {
    o = f(Eigen::ArrayXf::Constant(n, *a), ConstRow(b, n));
  } else {
    o.setConstant(f(Eigen::ArrayXf::Constant(1, *a), Eigen::ArrayXf::Constant(1, *b))(0));
  }
}

template <class F>
Tensor broadcast_zip(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out = Tensor::empty(out_shape);
  if (out.numel() == 0) return out;
  const BroadcastPlan plan = plan_for(out_shape, {a.shape(), b.shape()});
  const int64_t n = plan.row_length();
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1);
  parallel_chunks(
      plan.rows(),
      [&](int64_t begin, int64_t end, int) {
        int64_t offsets[2];
        for (int64_t row = begin; row < end; ++row) {
          plan.row_offsets(row, offsets);
          apply_row(a.data() + offsets[0], sa, b.data() + offsets[1], sb, out.data() + row * n, n,
                    f);
        }
      },
      std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(n, 1)));
  return out;
}

}  // namespace

Tensor broadcast_binary(const Tensor& a, const Tensor& b, BinaryOp op, const char* name) {
  check_arg(a.defined() && b.defined(), name, "undefined operand");
  const Shape out = broadcast_shapes(a.shape(), b.shape(), name);
  switch (op) {
    case BinaryOp::add:
      return broadcast_zip(a, b, out, [](const auto& x, const auto& y) { return x + y; });
    case BinaryOp::sub:
      return broadcast_zip(a, b, out, [](const auto& x, const auto& y) { return x - y; });
    case BinaryOp::mul:
      return broadcast_zip(a, b, out, [](const auto& x, const auto& y) { return x * y; });
  }
  return Tensor();
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  Tensor out = Tensor::zeros(shape);
  if (g.numel() == 0) return out;
  // g plays the result's part here: every element of g lands on one element of `out`.
  const BroadcastPlan plan = plan_for(g.shape(), {shape, g.shape()});
  const int64_t n = plan.row_length(), so = plan.inner_stride(0);
  int64_t offsets[2];
  // One thread, rows in order: the sums do not depend on the thread count.
  for (int64_t row = 0; row < plan.rows(); ++row) {
    plan.row_offsets(row, offsets);
    const ConstRow src(g.data() + offsets[1], n);
    if (so) {
      Row(out.data() + offsets[0], n) += src;
    } else {
      out.data()[offsets[0]] += src.sum();
    }
  }
  return out;
}

Tensor expand_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  check_arg(broadcast_shapes(x.shape(), shape, "expand") == shape, "expand", "cannot expand ",
            shape_str(x.shape()), " to ", shape_str(shape));
  Tensor zero = Tensor::zeros({1});
  return broadcast_zip(x, zero, shape, [](const auto& v, const auto&) { return v; });
}

}  // namespace detail
}  // namespace glia
