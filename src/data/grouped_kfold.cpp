// grouped_kfold and grouped_split: per class, the groups in their given order, shuffled.
#include "glia/data/grouped_kfold.hpp"

#include <algorithm>
#include <cmath>

#include "glia/support/check.hpp"
#include "glia/tensor/rng.hpp"

namespace glia::data {
namespace {

// The groups of each class, in group order; classes ascending.
std::vector<std::vector<int>> groups_by_class(const std::vector<int>& group_labels,
                                              const char* op) {
  int classes = 0;
  for (int label : group_labels) {
    check_arg(label >= 0, op, "a group has the negative label ", label);
    classes = std::max(classes, label + 1);
  }
  std::vector<std::vector<int>> by_class(static_cast<size_t>(classes));
  for (size_t g = 0; g < group_labels.size(); ++g)
    by_class[static_cast<size_t>(group_labels[g])].push_back(static_cast<int>(g));
  return by_class;
}

size_t rounded(double fraction, size_t n) {
  return static_cast<size_t>(std::lround(fraction * static_cast<double>(n)));
}

}  // namespace

std::vector<std::vector<Part>> grouped_kfold(const std::vector<int>& group_labels, int folds,
                                             uint64_t seed, double val_fraction) {
  check_arg(folds >= 2, "grouped_kfold", "needs at least 2 folds, got ", folds);
  check_arg(val_fraction >= 0 && val_fraction < 1, "grouped_kfold",
            "val_fraction must be in [0, 1), got ", val_fraction);
  const std::vector<std::vector<int>> by_class = groups_by_class(group_labels, "grouped_kfold");
  // Deal each class's shuffled groups to the folds in turn.
  std::vector<int> fold_of(group_labels.size(), 0);
  Rng rng(seed);
  for (std::vector<int> of_class : by_class) {
    rng.shuffle(of_class);
    for (size_t g = 0; g < of_class.size(); ++g)
      fold_of[static_cast<size_t>(of_class[g])] = static_cast<int>(g % static_cast<size_t>(folds));
  }
  std::vector<std::vector<Part>> splits(static_cast<size_t>(folds),
                                        std::vector<Part>(group_labels.size(), Part::train));
  for (int f = 0; f < folds; ++f) {
    std::vector<Part>& part = splits[static_cast<size_t>(f)];
    Rng fold_rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(f) + 1);
    for (const std::vector<int>& of_class : by_class) {
      std::vector<int> rest;  // this class's groups outside fold f
      for (int g : of_class) {
        if (fold_of[static_cast<size_t>(g)] == f) {
          part[static_cast<size_t>(g)] = Part::test;
        } else {
          rest.push_back(g);
        }
      }
      fold_rng.shuffle(rest);
      const size_t n_val = rounded(val_fraction, rest.size());
      for (size_t i = 0; i < rest.size(); ++i)
        part[static_cast<size_t>(rest[i])] = i < n_val ? Part::val : Part::train;
    }
  }
  return splits;
}

std::vector<Part> grouped_split(const std::vector<int>& group_labels, uint64_t seed,
                                double train_fraction, double val_fraction) {
  check_arg(train_fraction >= 0 && val_fraction >= 0 && train_fraction + val_fraction <= 1,
            "grouped_split", "needs fractions >= 0 that sum to at most 1, got ", train_fraction,
            " and ", val_fraction);
  std::vector<Part> part(group_labels.size(), Part::test);
  Rng rng(seed);
  for (std::vector<int> of_class : groups_by_class(group_labels, "grouped_split")) {
    rng.shuffle(of_class);
    const size_t n = of_class.size(), n_train = rounded(train_fraction, n),
                 n_val = rounded(val_fraction, n);
    for (size_t i = 0; i < n; ++i)
      part[static_cast<size_t>(of_class[i])] = i < n_train           ? Part::train
                                               : i < n_train + n_val ? Part::val
                                                                     : Part::test;
  }
  return part;
}

}  // namespace glia::data
