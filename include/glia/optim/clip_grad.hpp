/// @file
/// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).
///
/// The norm is taken over the gradients of all the parameters together, as if they were one
/// vector; when it exceeds max_norm every gradient is scaled by max_norm / (norm + 1e-6).
/// Parameters without a gradient are skipped. Returns the norm before clipping.
#pragma once

#include <cmath>
#include <vector>

#include "glia/tensor/eigen.hpp"

namespace glia::optim {

/// Scales the gradients of `params` so that their global norm is at most max_norm; returns the
/// norm before clipping (see the file's description).
inline double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  check_arg(max_norm > 0.0, "clip_grad_norm", "max_norm must be positive, got ", max_norm);
  double squares = 0.0;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (g.defined()) squares += as_array(g).cast<double>().square().sum();
  }
  const double norm = std::sqrt(squares);
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient < 1.0) {
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (g.defined()) as_array(g) *= static_cast<float>(coefficient);
    }
  }
  return norm;
}

}  // namespace glia::optim
