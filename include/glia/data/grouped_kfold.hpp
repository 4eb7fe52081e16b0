/// @file
/// Splits that keep groups whole: when several examples come from one source (a scan and its
/// augmented copies, a patient's slices, near-duplicate images), they must all land on the same
/// side, or a test example was, in effect, trained on. Both functions work on groups and are
/// stratified: each class's groups are shuffled with the seed and divided on their own, so every
/// part keeps the class balance.
///
/// Groups are numbered 0..G-1; group_labels[g] is group g's class. The results give each group
/// its Part, from which the caller sends the group's examples to train, val or test.
#pragma once

#include <cstdint>
#include <vector>

namespace glia::data {

/// Where a group goes in one split.
enum class Part : uint8_t { train, val, test };

/// Grouped, stratified K-fold cross-validation: each class's groups are shuffled and dealt to
/// the folds in turn, so every group is tested exactly once. Split f tests fold f; of the other
/// groups, `val_fraction` of each class (rounded) validate, for model selection, and the rest
/// train. Returns one Part per group for each of the `folds` splits. Throws
/// std::invalid_argument for folds < 2, a negative label or a fraction outside [0, 1).
std::vector<std::vector<Part>> grouped_kfold(const std::vector<int>& group_labels, int folds,
                                             uint64_t seed, double val_fraction = 0.15);

/// One grouped, stratified split: of each class's groups, shuffled, `train_fraction` train,
/// `val_fraction` validate and the rest test (each count rounded to the nearest whole group).
std::vector<Part> grouped_split(const std::vector<int>& group_labels, uint64_t seed,
                                double train_fraction = 0.7, double val_fraction = 0.15);

}  // namespace glia::data
