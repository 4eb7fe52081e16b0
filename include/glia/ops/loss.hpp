/// @file
/// Losses on logits, averaged over the batch.
///
/// binary_cross_entropy_with_logits: logits and targets the same shape (e.g. {N, 1}), targets in
///   [0, 1], optional weights of that shape -> {1}, the mean over all elements of w *
///   loss(z, t) = max(z, 0) - z * t + log(1 + e^-|z|): exact and finite for any logit, unlike
///   log(sigmoid(z)), which underflows to log(0) for z below about -88.
/// cross_entropy: logits {N, K}, targets {N} holding class indices 0..K-1 as floats, optional
///   row weights {N} -> {1}, the mean over the batch of -w sum_k q_k log softmax(z)_k with q = (1 -
///   s) one_hot(t) + s / K (s = label_smoothing), as torch.nn.functional.cross_entropy.
#pragma once

#include <algorithm>
#include <cmath>

#include "glia/autograd/node.hpp"
#include "glia/ops/activation.hpp"

namespace glia {

/// The loss of one logit z with target t: the one BCE formula of glia (the op and the metrics).
template <class Real>
Real binary_cross_entropy_with_logit(Real z, Real t) {
  return std::max(z, Real(0)) - z * t + std::log1p(std::exp(-std::fabs(z)));
}

/// The mean binary cross-entropy of logits against targets, as the file's description says.
/// With `weights` (the same shape, no gradient), each element's loss is multiplied by its
/// weight before the mean over all elements (Keras' sample_weight, PyTorch's `weight`).
inline Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& targets,
                                               const Tensor& weights = {}) {
  check_arg(logits.defined() && targets.defined(), "binary_cross_entropy_with_logits",
            "undefined logits or targets");
  check_arg(logits.shape() == targets.shape(), "binary_cross_entropy_with_logits", "logits ",
            shape_str(logits.shape()), " and targets ", shape_str(targets.shape()),
            " must have the same shape");
  check_arg(!weights.defined() || weights.shape() == logits.shape(),
            "binary_cross_entropy_with_logits", "weights ",
            shape_str(weights), " and logits ",
            shape_str(logits.shape()), " must have the same shape");
  check_arg(logits.numel() > 0, "binary_cross_entropy_with_logits", "empty batch");
  const int64_t n = logits.numel();
  const float* z = logits.data();
  const float* t = targets.data();
  const float* w = weights.defined() ? weights.data() : nullptr;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double l = binary_cross_entropy_with_logit(z[i], t[i]);
    total += w ? w[i] * l : l;
  }
  Tensor loss = Tensor::full({1}, static_cast<float>(total / static_cast<double>(n)));

  if (needs_graph({&logits, &targets})) {
    const bool need_z = logits.requires_grad(), need_t = targets.requires_grad();
    record("binary_cross_entropy_with_logits", loss, {logits, targets},
           [=, z = logits.detach(), t = targets.detach(), w = weights.detach()](const Tensor& g) {
             const float scale = g.data()[0] / static_cast<float>(n);
             const float* wv = w.defined() ? w.data() : nullptr;
             Tensor gz, gt;
             if (need_z) {  // d/dz = w (sigmoid(z) - t)
               gz = Tensor::empty(z.shape());
               for (int64_t i = 0; i < n; ++i)
                 gz.data()[i] = (wv ? scale * wv[i] : scale) * (sigmoid(z.data()[i]) - t.data()[i]);
             }
             if (need_t) {  // d/dt = -w z
               gt = Tensor::empty(t.shape());
               for (int64_t i = 0; i < n; ++i)
                 gt.data()[i] = -(wv ? scale * wv[i] : scale) * z.data()[i];
             }
             return std::vector<Tensor>{gz, gt};
           });
  }
  return loss;
}

/// Defined in src/ops/cross_entropy.cpp. With `row_weights` ({N}, no gradient), each row's loss
/// is multiplied by its weight before the mean over the rows.
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, float label_smoothing = 0.0f,
                     const Tensor& row_weights = {});

}  // namespace glia
