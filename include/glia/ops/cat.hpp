/// @file
/// cat: tensors joined along one axis (torch.cat).
///
/// Shapes: every tensor has the same rank and the same extents except along `dim` (negative
/// counts from the end) -> that shape with the extents along `dim` added up. The gradient of
/// each input is its slice of the result's gradient.
#pragma once

#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia {

/// The tensors joined along `dim`; throws std::invalid_argument when their shapes do not fit.
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);

}  // namespace glia
