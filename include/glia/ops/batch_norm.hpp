/// @file
/// Batch normalisation over the channel axis.
///
/// Shapes: x {N, C, H, W} or {N, C}; gamma, beta, running_mean, running_var {C} -> y like x.
/// training: normalise with the batch mean and biased variance, and update the running stats
///   in place, PyTorch-style: running = (1 - momentum) * running + momentum * batch, with the
///   unbiased variance for running_var (Keras' momentum 0.99 is momentum 0.01 here).
/// inference: normalise with the running stats; nothing is updated.
/// y = (x - mean) / sqrt(var + eps) * gamma + beta.
#pragma once

#include "glia/tensor/tensor.hpp"

namespace glia {

/// Normalises x as the file's description says; the running statistics are updated in place in
/// training.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, float momentum = 0.1f, float eps = 1e-5f);

/// The same; in inference without a graph it overwrites x when the caller gives it up and
/// nothing else holds its data.
Tensor batch_norm(Tensor&& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, float momentum = 0.1f, float eps = 1e-5f);

}  // namespace glia
