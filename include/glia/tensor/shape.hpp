// Shape: the extents of a row-major tensor, outermost first (images are NCHW).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glia {

using Shape = std::vector<int64_t>;

inline int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t extent : shape) n *= extent;
  return n;
}

// "{8, 3, 240, 240}"
inline std::string shape_str(const Shape& shape) {
  std::string s = "{";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "}";
}

}  // namespace glia
