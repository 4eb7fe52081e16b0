// Binary cross-entropy on logits, averaged over all elements.
//
// Shapes: logits and targets the same shape (e.g. {N, 1}), targets in [0, 1] -> {1}.
// loss_i = max(z, 0) - z * t + log(1 + e^-|z|): exact and finite for any logit, unlike
// log(sigmoid(z)), which underflows to log(0) for z below about -88.
#pragma once

#include <algorithm>
#include <cmath>

#include "glia/autograd/node.hpp"

namespace glia {

inline Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets) {
  check_arg(logits.defined() && targets.defined(), "binary_cross_entropy_with_logits",
            "undefined logits or targets");
  check_arg(logits.shape() == targets.shape(), "binary_cross_entropy_with_logits", "logits ",
            shape_str(logits.shape()), " and targets ", shape_str(targets.shape()),
            " must have the same shape");
  check_arg(logits.numel() > 0, "binary_cross_entropy_with_logits", "empty batch");
  const int64_t n = logits.numel();
  const float* z = logits.data();
  const float* t = targets.data();
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    total += std::max(z[i], 0.0f) - z[i] * t[i] + std::log1p(std::exp(-std::fabs(z[i])));
  }
  Tensor loss = Tensor::full({1}, static_cast<float>(total / static_cast<double>(n)));

  if (needs_graph({&logits, &targets})) {
    const bool need_z = logits.requires_grad(), need_t = targets.requires_grad();
    record("binary_cross_entropy_with_logits", loss, {logits, targets},
           [=, z = logits.detach(), t = targets.detach()](const Tensor& g) {
             const float scale = g.data()[0] / static_cast<float>(n);
             Tensor gz, gt;
             if (need_z) {  // d/dz = sigmoid(z) - t
               gz = Tensor::empty(z.shape());
               for (int64_t i = 0; i < n; ++i) {
                 const float zi = z.data()[i], e = std::exp(-std::fabs(zi));
                 const float s = zi >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
                 gz.data()[i] = scale * (s - t.data()[i]);
               }
             }
             if (need_t) {  // d/dt = -z
               gt = Tensor::empty(t.shape());
               for (int64_t i = 0; i < n; ++i) gt.data()[i] = -scale * z.data()[i];
             }
             return std::vector<Tensor>{gz, gt};
           });
  }
  return loss;
}

}  // namespace glia
