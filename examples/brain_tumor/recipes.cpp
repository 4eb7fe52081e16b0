#include "recipes.hpp"

#include <stdexcept>

#include <glia/glia.hpp>

#include "seed_network.hpp"

namespace brain_tumor {

const std::vector<std::string>& recipe_names() {
  static const std::vector<std::string> names{"seed", "glia"};
  return names;
}

Recipe recipe_named(const std::string& name) {
  Recipe r;
  r.name = name;
  if (name == "seed") {
    r.augment = "folder";
    return r;
  }
  if (name == "glia") {
    r.image_size = 128;
    r.epochs = 10;  // on the saved copies: 8x the steps of an online epoch (docs/results.md)
    r.batch = 16;
    r.adamw = true;
    r.lr = 2e-3f;
    r.eps = 1e-8f;
    r.weight_decay = 5e-4f;
    r.cosine = true;
    r.label_smoothing = 0.1f;
    r.monitor = "val_loss";
    r.augment = "folder";
    r.flip_tta = true;
    r.dropout = 0.3f;
    r.widths = {16, 32, 64, 128};
    return r;
  }
  throw std::invalid_argument("unknown recipe '" + name + "' (choose seed or glia)");
}

glia::nn::Sequential build_network(const Recipe& recipe) {
  using namespace glia::nn;
  if (recipe.name == "seed") return seed_network();
  Sequential net({3, recipe.image_size, recipe.image_size});
  int64_t in = 3;
  for (size_t block = 0; block < recipe.widths.size(); ++block) {
    const int64_t out = recipe.widths[block];
    net.add(Conv2d(in, out, 3, 1, 1, false)).add(BatchNorm2d(out)).add(ReLU());
    net.add(Conv2d(out, out, 3, 1, 1, false)).add(BatchNorm2d(out)).add(ReLU());
    if (block + 1 < recipe.widths.size()) net.add(MaxPool2d(2));
    in = out;
  }
  net.add(GlobalAvgPool2d()).add(Flatten());
  if (recipe.dropout > 0) net.add(Dropout(recipe.dropout));
  net.add(Dense(in, 1));
  return net;
}

}  // namespace brain_tumor
