// The built-in data set: head-like ellipses on a dark frame, half with a bright lesion, with
// noise and jitter. Lets a new user run the whole pipeline with nothing downloaded.
#pragma once

#include <cstdint>
#include <vector>

#include <glia/tensor/rng.hpp>

#include "dataset.hpp"

namespace brain_tumor {

struct SyntheticSet {
  std::vector<ImageRef> refs;  // empty paths; relative names "synthetic/yes/007.png"
  std::vector<Image> images;   // BGR, same order
};

SyntheticSet make_synthetic_set(int per_class, uint64_t seed);

// One image; `lesion` draws the bright blob. Exposed for tests (Grad-CAM, crop).
Image synthetic_scan(bool lesion, glia::Rng& rng, int width = 256, int height = 256);

}  // namespace brain_tumor
