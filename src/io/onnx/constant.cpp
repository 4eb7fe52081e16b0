#include "constant.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace glia::io::onnx_detail {
namespace {

constexpr int64_t kMaxFolded = 1 << 16;  // elements of a computed constant (shape arithmetic)

int64_t checked_numel(const pb::TensorProto& t, const std::string& name) {
  const Shape shape(t.dims().begin(), t.dims().end());
  for (int64_t d : shape) expect(d >= 0, "tensor '", name, "' has a bad extent ", d);
  const int64_t n = shape_numel_within(shape, int64_t{1} << 40);
  expect(n >= 0, "tensor '", name, "' is too large");
  return n;
}

template <class T, class Repeated>
std::vector<T> values(const pb::TensorProto& t, const Repeated& field, size_t count,
                      const std::string& name, const char* what) {
  std::vector<T> out;
  if (t.has_raw_data()) {
    expect(t.raw_data().size() == count * sizeof(T), "tensor '", name, "' holds ",
           t.raw_data().size(), " bytes for ", count, " ", what, " values");
    out.resize(count);
    if (count) std::memcpy(out.data(), t.raw_data().data(), count * sizeof(T));
  } else {
    expect(static_cast<size_t>(field.size()) == count, "tensor '", name, "' holds ", field.size(),
           " values for its shape's ", count);
    out.assign(field.begin(), field.end());
  }
  return out;
}

// Row-major strides of a shape.
std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

// A constant with `shape` whose element i comes from element source(i) of `in`.
template <class Source>
Constant gather(const Constant& in, const Shape& shape, Source source) {
  Constant out;
  out.shape = shape;
  out.is_float = in.is_float;
  const int64_t n = shape_numel(shape);
  for (int64_t i = 0; i < n; ++i) {
    const auto from = static_cast<size_t>(source(i));
    if (in.is_float) {
      out.floats.push_back(in.floats[from]);
    } else {
      out.ints.push_back(in.ints[from]);
    }
  }
  return out;
}

const std::vector<int64_t>& int_list(const Constant* c, const pb::NodeProto& n, const char* what) {
  expect(c && !c->is_float && c->shape.size() <= 1, "node '", n.name(), "' (", n.op_type(),
         "): ", what, " must be a list of integers");
  return c->ints;
}

const pb::AttributeProto* attribute(const pb::NodeProto& n, const char* name) {
  for (const pb::AttributeProto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

}  // namespace

Constant decode(const pb::TensorProto& t, const std::string& name) {
  expect(t.data_location() != pb::TensorProto::EXTERNAL, "tensor '", name,
         "' keeps its data in an external file, which glia does not read");
  expect(!t.has_segment(), "tensor '", name, "' is segmented, which glia does not read");
  Constant c;
  c.shape.assign(t.dims().begin(), t.dims().end());
  const auto count = static_cast<size_t>(checked_numel(t, name));
  if (t.data_type() == pb::TensorProto::FLOAT) {
    c.floats = values<float>(t, t.float_data(), count, name, "float");
    for (float v : c.floats) expect(std::isfinite(v), "tensor '", name, "' holds ", v);
  } else if (t.data_type() == pb::TensorProto::INT64) {
    c.is_float = false;
    c.ints = values<int64_t>(t, t.int64_data(), count, name, "int64");
  } else if (t.data_type() == pb::TensorProto::BOOL) {  // Dropout's training_mode
    c.is_float = false;
    if (t.has_raw_data()) {
      expect(t.raw_data().size() == count, "tensor '", name, "' holds ", t.raw_data().size(),
             " bytes for ", count, " booleans");
      for (char b : t.raw_data()) c.ints.push_back(b != 0);
    } else {
      for (int32_t b : values<int32_t>(t, t.int32_data(), count, name, "bool"))
        c.ints.push_back(b != 0);
    }
  } else {
    fail("tensor '", name, "' has element type ", t.data_type(),
         "; glia reads FLOAT weights and INT64 or BOOL index tensors");
  }
  return c;
}

bool can_fold(const std::string& op) {
  return op == "ConstantOfShape" || op == "Concat" || op == "Reshape" || op == "Slice" ||
         op == "Transpose" || op == "Cast" || op == "Identity";
}

Constant fold(const pb::NodeProto& n, const std::vector<const Constant*>& in) {
  const std::string& op = n.op_type();
  auto where = [&] { return concat("node '", n.name(), "' (", op, ")"); };
  expect(!in.empty() && in[0], where(), " needs an input");
  const Constant& x = *in[0];
  Constant out;
  if (op == "Identity") {
    out = x;
  } else if (op == "ConstantOfShape") {
    const std::vector<int64_t>& dims = int_list(&x, n, "the shape");
    out.shape = dims;
    int64_t count = 1;
    for (int64_t d : dims) {
      expect(d >= 0 && d <= kMaxFolded && count * std::max<int64_t>(d, 1) <= kMaxFolded, where(),
             ": too large");
      count *= d;
    }
    Constant value;
    value.floats = {0.0f};
    if (const pb::AttributeProto* a = attribute(n, "value")) value = decode(a->t(), n.name());
    expect(value.numel() == 1, where(), ": value must hold one element");
    out.is_float = value.is_float;
    if (out.is_float) {
      out.floats.assign(static_cast<size_t>(count), value.floats[0]);
    } else {
      out.ints.assign(static_cast<size_t>(count), value.ints[0]);
    }
  } else if (op == "Concat") {
    out.is_float = x.is_float;
    for (const Constant* c : in) {
      expect(c && c->shape.size() == 1 && c->is_float == x.is_float, where(),
             ": glia folds the concatenation of lists only");
      out.floats.insert(out.floats.end(), c->floats.begin(), c->floats.end());
      out.ints.insert(out.ints.end(), c->ints.begin(), c->ints.end());
    }
    out.shape = {out.numel()};
  } else if (op == "Reshape") {
    expect(in.size() == 2, where(), " needs data and a shape");
    std::vector<int64_t> dims = int_list(in[1], n, "the shape");
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i] == 0 && i < x.shape.size()) dims[i] = x.shape[i];
      if (dims[i] == -1) {
        expect(infer < 0, where(), ": two -1 extents");
        infer = static_cast<int64_t>(i);
      } else {
        expect(dims[i] >= 1 && dims[i] <= kMaxFolded, where(), ": a bad extent ", dims[i]);
        known *= dims[i];
        expect(known <= kMaxFolded, where(), ": too large");
      }
    }
    if (infer >= 0) {
      expect(known > 0 && x.numel() % known == 0, where(), ": cannot infer the -1 extent");
      dims[static_cast<size_t>(infer)] = x.numel() / known;
    }
    expect(shape_numel(dims) == x.numel(), where(), ": ", shape_str(dims), " does not hold ",
           x.numel(), " elements");
    out = x;
    out.shape = dims;
  } else if (op == "Transpose") {
    const auto rank = x.shape.size();
    std::vector<int64_t> perm(rank);
    std::iota(perm.rbegin(), perm.rend(), 0);
    if (const pb::AttributeProto* a = attribute(n, "perm"))
      perm.assign(a->ints().begin(), a->ints().end());
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool permutation = sorted.size() == rank;
    for (size_t i = 0; permutation && i < rank; ++i)
      permutation = sorted[i] == static_cast<int64_t>(i);
    expect(permutation, where(), ": perm is not a permutation of the axes");
    Shape shape(rank);
    for (size_t i = 0; i < rank; ++i) shape[i] = x.shape[static_cast<size_t>(perm[i])];
    const std::vector<int64_t> from = strides_of(x.shape), to = strides_of(shape);
    out = gather(x, shape, [&](int64_t i) {
      int64_t source = 0;
      for (size_t d = 0; d < rank; ++d)
        source += (i / to[d]) % shape[d] * from[static_cast<size_t>(perm[d])];
      return source;
    });
  } else if (op == "Slice") {
    expect(in.size() >= 3, where(), " needs data, starts and ends");
    const auto rank = static_cast<int64_t>(x.shape.size());
    const std::vector<int64_t>& starts = int_list(in[1], n, "starts");
    const std::vector<int64_t>& ends = int_list(in[2], n, "ends");
    std::vector<int64_t> axes(starts.size()), steps(starts.size(), 1);
    std::iota(axes.begin(), axes.end(), 0);
    if (in.size() > 3 && in[3]) axes = int_list(in[3], n, "axes");
    if (in.size() > 4 && in[4]) steps = int_list(in[4], n, "steps");
    expect(ends.size() == starts.size() && axes.size() == starts.size() &&
               steps.size() == starts.size(),
           where(), ": starts, ends, axes and steps differ in length");
    // Per axis: first index and step; the extent follows (ONNX's clamping rules).
    Shape shape = x.shape;
    std::vector<int64_t> first(static_cast<size_t>(rank), 0), step(static_cast<size_t>(rank), 1);
    for (size_t i = 0; i < starts.size(); ++i) {
      int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
      expect(axis >= 0 && axis < rank && steps[i] != 0 && steps[i] > -kMaxFolded &&
                 steps[i] < kMaxFolded,
             where(), ": a bad axis or step");
      const int64_t dim = x.shape[static_cast<size_t>(axis)];
      auto clamp = [&](int64_t v, int64_t low, int64_t high) {
        if (v < 0) v = v < -dim ? -1 - dim : v;  // avoid overflow on INT64_MIN-like values
        if (v < 0) v += dim;
        return std::clamp(v, low, high);
      };
      int64_t s = 0, count = 0;
      if (dim > 0 && steps[i] > 0) {
        s = clamp(starts[i], 0, dim);
        const int64_t e = clamp(ends[i], 0, dim);
        count = std::max<int64_t>(0, (e - s + steps[i] - 1) / steps[i]);
      } else if (dim > 0) {
        s = clamp(starts[i], 0, dim - 1);
        const int64_t e = clamp(ends[i], -1, dim - 1);
        count = std::max<int64_t>(0, (s - e - steps[i] - 1) / -steps[i]);
      }
      shape[static_cast<size_t>(axis)] = count;
      first[static_cast<size_t>(axis)] = s;
      step[static_cast<size_t>(axis)] = steps[i];
    }
    const std::vector<int64_t> from = strides_of(x.shape), to = strides_of(shape);
    out = gather(x, shape, [&](int64_t i) {
      int64_t source = 0;
      for (size_t d = 0; d < shape.size(); ++d)
        source += (first[d] + (i / to[d]) % shape[d] * step[d]) * from[d];
      return source;
    });
  } else if (op == "Cast") {
    const pb::AttributeProto* to = attribute(n, "to");
    expect(to != nullptr, where(), " has no 'to'");
    out.shape = x.shape;
    if (to->i() == pb::TensorProto::FLOAT) {
      out.is_float = true;
      if (x.is_float) out.floats = x.floats;
      for (int64_t v : x.ints) out.floats.push_back(static_cast<float>(v));
    } else if (to->i() == pb::TensorProto::INT64) {
      out.is_float = false;
      if (!x.is_float) out.ints = x.ints;
      for (float v : x.floats) {
        expect(std::fabs(v) < 9.0e18f, where(), ": ", v, " does not fit an int64");
        out.ints.push_back(static_cast<int64_t>(v));
      }
    } else {
      fail(where(), ": glia folds casts to FLOAT and INT64 only");
    }
  } else {
    fail(where(), ": glia cannot compute this operator on constants");
  }
  expect(out.numel() <= kMaxFolded, where(), ": the result is too large");
  return out;
}

}  // namespace glia::io::onnx_detail
