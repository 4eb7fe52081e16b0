/// @file
/// Shape: the extents of a row-major tensor, outermost first (images are NCHW).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "glia/support/check.hpp"

namespace glia {

/// A tensor's extents, outermost first.
using Shape = std::vector<int64_t>;

/// The number of elements: the product of the extents (1 for {}).
inline int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t extent : shape) n *= extent;
  return n;
}

/// The number of elements of a shape read from an untrusted file, or -1 when an extent is
/// negative or the product would pass `limit`: checked extent by extent, so that a hostile
/// shape can neither overflow the product nor make its reader allocate past the limit.
inline int64_t shape_numel_within(const Shape& shape, int64_t limit) {
  int64_t n = 1;
  for (int64_t extent : shape) {
    if (extent < 0 || (extent > 0 && n > limit / extent)) return -1;
    n *= extent;
  }
  return n;
}

/// A shape as text, "{8, 3, 240, 240}", made only when it is printed or converted: an argument
/// check can name a shape without formatting it on every call that passes. It refers to the
/// shape it was made from, so use it within the expression that made it (or convert it to a
/// std::string). Made from no shape (nullptr), it reads "undefined".
class ShapeStr {
 public:
  /// Refers to `shape` (nullptr: "undefined").
  explicit ShapeStr(const Shape* shape) : shape_(shape) {}
  /// The text.
  std::string str() const {
    if (!shape_) return "undefined";
    std::string s = "{";
    for (size_t i = 0; i < shape_->size(); ++i) {
      if (i) s += ", ";
      s += std::to_string((*shape_)[i]);
    }
    return s + "}";
  }
  /// Same as str().
  operator std::string() const { return str(); }  // NOLINT: converts like a string would
  /// Writes the text.
  friend std::ostream& operator<<(std::ostream& out, const ShapeStr& s) { return out << s.str(); }

 private:
  const Shape* shape_;
};

/// "{8, 3, 240, 240}", formatted when printed or converted to std::string (see ShapeStr).
inline ShapeStr shape_str(const Shape& shape) { return ShapeStr(&shape); }

/// An axis given PyTorch-style, negative counting from the end (-1 is the last), as an index in
/// [0, rank); throws std::invalid_argument naming `op` when it is out of range.
inline int64_t normalize_dim(int64_t dim, int64_t rank, const char* op) {
  check_arg(dim >= -rank && dim < rank, op, "dim ", dim, " is out of range for a tensor of rank ",
            rank);
  return dim < 0 ? dim + rank : dim;
}

/// A shape seen as {outer, extent of `dim`, inner}: the product of the axes before `dim`, the
/// axis itself, and the product of those after it (the layout every single-axis op loops over).
struct AxisSplit {
  ///@{
  /// the products before the axis, the axis, and after it
  int64_t outer = 1, extent = 1, inner = 1;
  ///@}
};
/// `shape` split at axis `dim` (negative counts from the end).
inline AxisSplit split_at(const Shape& shape, int64_t dim) {
  AxisSplit s;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i) {
    const int64_t e = shape[static_cast<size_t>(i)];
    if (i < dim) s.outer *= e;
    if (i == dim) s.extent = e;
    if (i > dim) s.inner *= e;
  }
  return s;
}

}  // namespace glia
