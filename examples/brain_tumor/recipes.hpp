// Training recipes: a network and everything about how it is trained and used.
//
// seed: the paper's network and settings, unchanged (reproduction): Adam 1e-3 with eps 1e-7,
//   batch 32, 24 epochs, the best validation accuracy kept; the saved augmented copies when the
//   data has them.
// glia: this project's recipe, from the library's own pieces (docs/results.md says what each
//   part buys): two networks whose logits are averaged (nn::Average), each starting with
//   per-image standardisation (nn::Standardize) and going on with five blocks of 3x3
//   conv-BN-ReLU (16 to 256 channels) with pooling between, global average pooling and dropout,
//   on 96x96 inputs; the seed's saved augmented copies of the training scans (online
//   augmentation with the seed's ranges when the data has none); AdamW with a cosine schedule
//   over 10 epochs; label smoothing; the last epoch kept; horizontal and vertical flips as
//   test-time augmentation; the logit divided by a temperature fitted on the validation part.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <glia/nn/sequential.hpp>

#include "augment.hpp"
#include "modes.hpp"

namespace brain_tumor {

struct Recipe {
  std::string name;
  int image_size = 240;  // the network's input: image_size x image_size, 3 channels (BGR)
  int64_t epochs = 24, batch = 32;
  bool adamw = false;  // Adam otherwise
  float lr = 1e-3f, eps = 1e-7f, weight_decay = 0.0f;
  bool cosine = false;  // a cosine schedule over the epochs
  float label_smoothing = 0.0f;
  Monitor monitor = Monitor::val_accuracy;  // which epoch's weights are kept
  AugmentMode augment = AugmentMode::none;  // the default augmentation
  AugmentSettings augment_settings;         // the ranges of "online" augmentation
  bool flip_tta = false;   // average the logits of the image and its horizontal mirror
  bool vflip_tta = false;  // ... and of the vertical mirrors of those
  float dropout = 0.0f;
  std::vector<int64_t> widths;  // glia: channels of the conv blocks
  // Random transforms (augment_settings) on top of the saved copies, every epoch.
  bool transform_copies = false;
  bool train_originals = false;  // the training scans themselves join their saved copies
  bool standardize = false;      // the network starts with nn::Standardize (per-image)
  int64_t models = 1;            // models trained per split; their logits are averaged
  // Class weights that make every training scan weigh the same in the loss, however many copies
  // it has (the saved copies number 7 per tumour scan and 10 per other scan).
  bool scan_balance = false;
  // Temperature scaling: the logits divided by the temperature fitted on the validation part.
  bool calibrate = false;
};

// "seed" or "glia"; throws std::invalid_argument for another name.
Recipe recipe_named(const std::string& name);
const std::vector<std::string>& recipe_names();

// The recipe's network, ending in one logit. Weights drawn from glia::default_rng().
glia::nn::Sequential build_network(const Recipe& recipe);

// Changes one setting from "name=value" (--set on train and cv, for ablations): "epochs=20",
// "flip_tta=false", "widths=16,32,64,128". Throws std::invalid_argument naming the setting
// when the name is unknown or the value is malformed or out of range.
void apply_setting(Recipe& recipe, const std::string& assignment);

// The names apply_setting() takes, for --help.
std::string setting_names();

}  // namespace brain_tumor
