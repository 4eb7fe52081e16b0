// The prepared scans as a glia::data::Dataset: example i is items[indices[i]], a {3, H, W} float
// tensor in [0, 1] holding the image's BGR planes (the seed network's input), with target {1},
// the label. With an AugmentPlan, each example gets the seed's Keras transforms drawn from
// augment_rng(seed, epoch + 1, item): the same draw whatever the batch, thread or prefetch.
#pragma once

#include <vector>

#include <glia/data/dataset.hpp>

#include "augment.hpp"
#include "dataset.hpp"

namespace brain_tumor {

struct AugmentPlan {
  AugmentSettings settings;
  uint64_t seed = 0;
};

class ScanDataset : public glia::data::Dataset {
 public:
  ScanDataset(const std::vector<Prepared>& items, std::vector<int> indices,
              const AugmentPlan* augment = nullptr);
  size_t size() const override { return indices_.size(); }
  glia::data::Example get(size_t index) const override;
  void set_epoch(int64_t epoch) override { epoch_ = epoch; }

  const Prepared& item(size_t index) const;
  std::vector<int> labels() const;

 private:
  const std::vector<Prepared>* items_;
  std::vector<int> indices_;
  bool augment_ = false;
  AugmentPlan plan_;
  int64_t epoch_ = 0;
};

}  // namespace brain_tumor
