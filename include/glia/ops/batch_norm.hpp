/// @file
/// Batch normalisation over the channel axis.
///
/// Shapes: x {N, C, H, W} or {N, C}; gamma, beta, running.mean, running.var {C} -> y like x.
/// training: normalise with the batch mean and biased variance, and update the running stats
///   (an output of the op), PyTorch-style: running = (1 - momentum) * running + momentum *
///   batch, with the unbiased variance for running.var (Keras' momentum 0.99 is 0.01 here).
/// inference: normalise with the running stats; nothing is updated.
/// y = (x - mean) / sqrt(var + eps) * gamma + beta.
///
/// Synchronised statistics (data-parallel training): with a `reducer`, training normalises with
/// the mean and variance of the whole global batch. The reducer sums a vector of per-channel
/// partial sums element by element across the replicas, in place (an MPI allreduce: glia::dist
/// provides one); every replica must call it in the same order. The mean and the variance are
/// then taken in two passes (the sum, then the squared deviations from the global mean), and
/// the backward pass reduces its two per-channel sums the same way, so the replicas together
/// compute what one process would on the concatenated batch, up to summation order. gamma's
/// and beta's gradients stay local (the replicas' gradient average adds them up).
#pragma once

#include <functional>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia {

/// Sums `values` element-wise across data-parallel replicas, in place.
using BatchStatsReducer = std::function<void(std::vector<double>& values)>;

/// The running statistics of a batch-norm layer, {C} each: what inference normalises with, and
/// what a training pass updates (the two tensors' values are overwritten).
struct RunningStats {
  Tensor mean;  ///< running mean
  Tensor var;   ///< running (unbiased) variance
};

/// Normalises x as the file's description says. Training updates `running` (an output);
/// inference only reads it.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, RunningStats& running,
                  bool training, float momentum = 0.1f, float eps = 1e-5f,
                  const BatchStatsReducer* reducer = nullptr);

}  // namespace glia
