// One training run of a recipe on one split, as train and cv both use it: datasets and loaders
// over the prepared scans, the library's Trainer with a best-checkpoint callback and a
// resumable state, then predictions of the best weights.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <glia/train/cross_validation.hpp>
#include <glia/train/trainer.hpp>

#include "dataset.hpp"
#include "recipes.hpp"

namespace brain_tumor {

struct TrainingPlan {
  Recipe recipe;
  AugmentMode augment = AugmentMode::none;
  uint64_t seed = 1;
  std::string best_path;   // where the best weights go
  std::string state_path;  // the resumable state; empty: none
  bool resume = false;     // continue from state_path
  // Under mpirun: train data-parallel over all ranks (train), or alone on this rank (cv, whose
  // ranks each train their own folds).
  bool data_parallel = true;
  int64_t network = 0;  // which of the recipe's networks this is (fit_recipe counts from 0)
  // Called with each epoch's log (after the checkpoint), e.g. to print and save history.
  std::function<void(int64_t network, const glia::train::EpochLog&)> on_epoch;
  // Progress within an epoch (examples done, total, loss and accuracy so far).
  std::function<void(int64_t network, const glia::train::Progress&)> on_batch;
};

struct TrainingResult {
  glia::train::History history;
  int64_t best_epoch = 0;
  glia::nn::Sequential net;  // with the best weights loaded, in eval mode
};

// One network of the recipe, trained on split.train with split.val for validation; its kept
// weights (the best or the last epoch, by the recipe's monitor) go to plan.best_path.
TrainingResult train_on(const std::vector<Prepared>& items, const Split& split,
                        const TrainingPlan& plan);

// The recipe's model on a split: recipe.models networks, each trained by train_on with a seed of
// its own (the first with plan.seed), their logits averaged by an nn::Average when there are
// several; with recipe.calibrate, a last Dense(1, 1) divides the logit by the temperature
// fitted on split.val. One network alone is written to plan.best_path as train_on writes it;
// otherwise the networks go to <best_path stem>-network-<k>.glia (their resumable states to
// <state_path stem>-<k>.glia) and plan.best_path holds the whole model.
struct FittedModel {
  using History = glia::train::History;
  glia::nn::Sequential net;          // in eval mode, input {3, S, S}, ending in the logit
  std::vector<History> histories;    // per network
  std::vector<int64_t> best_epochs;  // per network
  double temperature = 1.0;          // 1 without calibration
};
FittedModel fit_recipe(const std::vector<Prepared>& items, const Split& split,
                       const TrainingPlan& plan);

// Class weights {negatives, positives} under which every scan of `train` weighs the same in the
// loss (each class's total weight is its number of scans), scaled so the mean weight is 1.
std::vector<float> scan_balancing_weights(const std::vector<Prepared>& items,
                                          const std::vector<int>& train);

// One fold of a cross-validation (glia::train::cross_validate): the recipe trained on the
// split's train part (its folder fold.dir), its test originals' logits, and its report
// (counts, best epochs, temperature, validation and test figures, seconds).
glia::train::FoldOutcome fit_fold(const glia::train::FoldContext& fold, const Split& split,
                                  const Recipe& recipe, AugmentMode augment, long seed,
                                  const std::vector<Prepared>& items);

// The logits of items[indices[i]] (eval mode, no graph), averaged over the recipe's test-time
// flips (glia::train::predict_with_flips).
std::vector<float> predict_logits(glia::nn::Module& net, const Recipe& recipe,
                                  const std::vector<Prepared>& items,
                                  const std::vector<int>& indices);

}  // namespace brain_tumor
