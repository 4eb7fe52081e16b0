/// @file
/// Dropout layer over dropout(): in training, zeroes each element with probability `rate` and
/// scales the rest by 1 / (1 - rate); in eval mode, the identity.
///
/// The mask is drawn from `rng` (glia::default_rng() unless given), which must outlive the
/// layer; manual_seed() (or seeding your own generator) makes runs repeat exactly.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/dropout.hpp"

namespace glia::nn {

/// Inverted dropout in training mode (zeros with probability rate, the rest scaled by
/// 1 / (1 - rate)); the identity in eval mode.
class Dropout : public Cloneable<Dropout> {
 public:
  /// rate in [0, 1); masks are drawn from `rng`, which must outlive the layer.
  explicit Dropout(float rate, Rng& rng = default_rng()) : rate_(rate), rng_(&rng) {
    check_arg(rate >= 0.0f && rate < 1.0f, "Dropout", "rate must be in [0, 1), got ", rate);
  }
  Tensor forward(const Tensor& x) override { return dropout(x, rate_, is_training(), *rng_); }
  Shape output_shape(const Shape& in) const override { return in; }
  std::string type_name() const override { return "Dropout"; }
  /// The probability of zeroing an element.
  float rate() const { return rate_; }

 private:
  float rate_;
  Rng* rng_;
};

}  // namespace glia::nn
