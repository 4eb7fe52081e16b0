/// @file
/// Inverted dropout (torch.nn.functional.dropout): in training, each element is zeroed with
/// probability p and the others are scaled by 1 / (1 - p), so that the expected value is
/// unchanged; with training false (or p = 0) the input is returned as it is.
///
/// Shapes: x any shape -> same shape. The mask is drawn from `rng`, one uniform per element in
/// order, so a seeded generator gives the same mask on every run and thread count.
#pragma once

#include "glia/ops/elementwise.hpp"
#include "glia/tensor/rng.hpp"

namespace glia {

/// x with dropout applied (see the file's description); p in [0, 1).
inline Tensor dropout(const Tensor& x, float p, bool training, Rng& rng) {
  check_arg(x.defined(), "dropout", "undefined input");
  check_arg(p >= 0.0f && p <= 1.0f, "dropout", "p must be in [0, 1], got ", p);
  if (!training || p == 0.0f) return x;
  Tensor mask = Tensor::empty(x.shape());
  const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  for (int64_t i = 0; i < mask.numel(); ++i) {
    mask.data()[i] = rng.uniform() < p ? 0.0f : keep_scale;
  }
  return x * mask;
}

}  // namespace glia
