// The seed network, and moving images between the cache and the network.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <glia/nn/brain_tumor_cnn.hpp>

#include "augment.hpp"
#include "dataset.hpp"

namespace brain_tumor {

// The network itself is glia::nn::brain_tumor_cnn() (glia/nn/brain_tumor_cnn.hpp).

// A batch {n, 3, 240, 240} of floats in [0, 1] (BGR planes) from cached images items[order[i]]
// for i in [begin, end). With `augment`, each image gets its own draw from
// augment_rng(seed, epoch, order[i]).
struct AugmentPlan {
  AugmentSettings settings;
  uint64_t seed = 0;
  uint64_t epoch = 0;
};
glia::Tensor make_batch(const std::vector<Prepared>& items, const std::vector<int>& order,
                        size_t begin, size_t end, const AugmentPlan* augment = nullptr);
glia::Tensor make_labels(const std::vector<Prepared>& items, const std::vector<int>& order,
                         size_t begin, size_t end);

// Logits of items[order[i]] for every i, in eval mode without a graph.
std::vector<float> predict_logits(glia::nn::Sequential& net, const std::vector<Prepared>& items,
                                  const std::vector<int>& order, int batch_size = 32);

struct LoadedModel {
  glia::nn::Sequential net;  // in eval mode, ending in the logit
  std::string format;        // "glia checkpoint" or "Keras HDF5"
};

// Loads a model file, recognised by its content: a glia checkpoint of the seed network, or a
// Keras HDF5 model (the seed's published checkpoint). Throws std::runtime_error naming the file.
LoadedModel load_model(const std::string& path);

bool is_keras_file(const std::string& path);
// The Keras model as saved (a final sigmoid included).
glia::nn::Sequential load_keras(const std::string& path);

}  // namespace brain_tumor
