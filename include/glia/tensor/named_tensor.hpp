/// @file
/// NamedTensor: a tensor with a name, as modules, optimisers and checkpoints list their state.
#pragma once

#include <string>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia {

/// A tensor and its name (e.g. "3.body.0.weight").
struct NamedTensor {
  /// the dotted path, unique within a model
  std::string name;
  /// shared with its owner
  Tensor tensor;
};

/// Copies `from` into `to` (the same names, in any order, and the same shapes), writing nothing
/// unless everything matches; otherwise throws std::invalid_argument naming `what` and the
/// first problem.
void copy_named_tensors(const std::vector<NamedTensor>& from, const std::vector<NamedTensor>& to,
                        const char* what);

}  // namespace glia
