#include "scan_dataset.hpp"

#include <glia/data/image_tensor.hpp>

namespace brain_tumor {

ScanDataset::ScanDataset(const std::vector<Prepared>& items, std::vector<int> indices,
                         const AugmentPlan* augment)
    : items_(&items), indices_(std::move(indices)) {
  if (augment) {
    augment_ = true;
    plan_ = *augment;
  }
}

const Prepared& ScanDataset::item(size_t index) const {
  return (*items_)[static_cast<size_t>(indices_.at(index))];
}

std::vector<int> ScanDataset::labels() const {
  std::vector<int> out;
  for (size_t i = 0; i < size(); ++i) out.push_back(item(i).ref.label);
  return out;
}

glia::data::Example ScanDataset::get(size_t index) const {
  const Prepared& p = item(index);
  const Image& image = p.image;
  glia::Tensor x = glia::Tensor::empty({image.channels, image.height, image.width});
  if (augment_) {
    glia::Rng rng = augment_rng(plan_.seed, static_cast<uint64_t>(epoch_ + 1),
                                static_cast<uint64_t>(indices_[index]));
    augment_into(image, draw_augment_params(plan_.settings, image.height, image.width, rng),
                 x.data());
  } else {
    glia::data::image_to_chw(image, x.data());  // BGR planes, as the seed network was trained
  }
  return {x, glia::Tensor::full({1}, static_cast<float>(p.ref.label))};
}

}  // namespace brain_tumor
