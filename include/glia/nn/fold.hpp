/// @file
/// Folding batch norm into the convolution before it, for inference.
///
/// In eval mode BatchNorm2d is an affine map per channel, y = gamma (x - mean) / sqrt(var + eps)
/// + beta, so a Conv2d followed by a BatchNorm2d equals one Conv2d with weights scaled per output
/// channel and a new bias:
///   s = gamma / sqrt(var + eps),  w' = w * s,  b' = (b - mean) * s + beta
/// which saves a whole pass over the convolution's output. fold_batch_norm() returns an
/// inference copy of a model (new tensors: the original keeps training) with every such pair
/// folded, inside every container (Sequential, Residual, Average, or any registered one:
/// nn/layer_registry.hpp); the copy is in eval mode and equals the original in eval mode up to
/// float rounding. Other modules are copied (clone()), or shared with the original when they
/// cannot be.
#pragma once

#include <memory>

#include "glia/nn/sequential.hpp"

namespace glia::nn {

/// An inference copy of `model` with every Conv2d + BatchNorm2d pair folded into one Conv2d.
Sequential fold_batch_norm(const Sequential& model);

}  // namespace glia::nn
