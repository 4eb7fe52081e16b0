/// @file
/// Test-time augmentation by flips: a model's logits averaged over flipped views of each input
/// (the data's augmentation flipped it, so the model has learnt each view). Logits are averaged,
/// not probabilities, so the result is still a logit.
#pragma once

#include "glia/data/dataset.hpp"
#include "glia/nn/module.hpp"
#include "glia/train/trainer.hpp"

namespace glia::train {

/// Which flipped views to average, besides the input as it is.
struct FlipViews {
  bool horizontal = false;  ///< the mirror image (the last axis reversed)
  bool vertical = false;    ///< upside down (the next-to-last axis reversed), and its mirror too
  /// How many views that is (1, 2 or 4).
  int count() const { return (horizontal ? 2 : 1) * (vertical ? 2 : 1); }
};

/// The example's input with its last axis (mirrored) and/or the one before (upside_down)
/// reversed; inputs {..., H, W}.
Tensor flipped(const Tensor& input, bool mirrored, bool upside_down);

/// predict() over every example of `data`, in eval mode without a graph, each input's logits
/// averaged over `views`: the sum runs over the views in the order (as is, mirrored, upside
/// down, both), then divides by their number. Batches of `batch` examples.
Predictions predict_with_flips(nn::Module& model, const data::Dataset& data, FlipViews views,
                               int64_t batch = 32);

}  // namespace glia::train
