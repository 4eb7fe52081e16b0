/// @file
/// Per-example standardisation: each example shifted to zero mean and scaled to unit standard
/// deviation over all its values (ONNX's MeanVarianceNormalization with axes [1, ..., R-1];
/// PyTorch's F.layer_norm over x.shape[1:] without weights, up to where eps goes).
///
/// Shapes: x {N, ...} -> y of the same shape. Per example n, over its M values:
///   mean = sum x / M,  std = sqrt(sum (x - mean)^2 / M),  y = (x - mean) / (std + eps).
/// eps sits outside the square root, as in ONNX, so the exported node computes the same thing.
/// A constant example (std 0) maps to zeros with a zero gradient.
#pragma once

#include "glia/autograd/node.hpp"

namespace glia {

/// The output shape (the op and nn::Standardize both use it); throws std::invalid_argument.
inline Shape standardize_output_shape(const Shape& x, const char* op = "standardize") {
  check_arg(x.size() >= 2 && shape_numel(x) > 0, op,
            "expects x {N, ...} with at least one value per example, got ", shape_str(x));
  return x;
}

/// x with each example standardised (see the file's description); eps >= 0.
/// Defined in src/ops/standardize.cpp.
Tensor standardize(const Tensor& x, float eps = 1e-9f);

}  // namespace glia
