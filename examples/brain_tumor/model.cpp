#include "model.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <glia/glia.hpp>
#ifdef BRAIN_TUMOR_HAS_KERAS
#include <glia/io/keras_h5.hpp>
#endif

namespace brain_tumor {

glia::Tensor make_batch(const std::vector<Prepared>& items, const std::vector<int>& order,
                        size_t begin, size_t end, const AugmentPlan* augment) {
  const int64_t n = static_cast<int64_t>(end - begin);
  constexpr size_t kPlane = static_cast<size_t>(kImageSize) * kImageSize;
  glia::Tensor batch = glia::Tensor::empty({n, 3, kImageSize, kImageSize});
  glia::parallel_for(n, [&](int64_t i) {
    const int index = order[begin + static_cast<size_t>(i)];
    const Image& image = items[static_cast<size_t>(index)].image;
    float* out = batch.data() + static_cast<size_t>(i) * 3 * kPlane;
    if (augment) {
      glia::Rng rng = augment_rng(augment->seed, augment->epoch, static_cast<uint64_t>(index));
      augment_into(image, draw_augment_params(augment->settings, kImageSize, kImageSize, rng), out);
      return;
    }
    for (size_t p = 0; p < kPlane; ++p) {
      for (size_t c = 0; c < 3; ++c)
        out[c * kPlane + p] = image.pixels[p * 3 + c] * (1.0f / 255.0f);
    }
  });
  return batch;
}

glia::Tensor make_labels(const std::vector<Prepared>& items, const std::vector<int>& order,
                         size_t begin, size_t end) {
  std::vector<float> labels;
  for (size_t i = begin; i < end; ++i) {
    labels.push_back(static_cast<float>(items[static_cast<size_t>(order[i])].ref.label));
  }
  return glia::Tensor::from(labels, {static_cast<int64_t>(labels.size()), 1});
}

std::vector<float> predict_logits(glia::nn::Sequential& net, const std::vector<Prepared>& items,
                                  const std::vector<int>& order, int batch_size) {
  const bool was_training = net.is_training();
  net.eval();
  glia::NoGradGuard no_grad;
  std::vector<float> logits;
  logits.reserve(order.size());
  for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch_size));
    const glia::Tensor out = net.forward(make_batch(items, order, begin, end));
    logits.insert(logits.end(), out.data(), out.data() + out.numel());
  }
  net.train(was_training);
  return logits;
}

LoadedModel load_model(const std::string& path) {
  LoadedModel model;
  if (glia::io::is_checkpoint_file(path)) {
    model.net = glia::nn::brain_tumor_cnn();
    glia::load(model.net, path);
    model.format = "glia checkpoint";
  } else if (is_keras_file(path)) {
    model.net = load_keras(path);
    model.format = "Keras HDF5";
  } else {
    std::ifstream probe(path);
    throw std::runtime_error(
        "cannot load model '" + path +
        "': " + (probe ? "neither a glia checkpoint nor a Keras HDF5 file" : "file not found"));
  }
  // The tools work on logits: a final sigmoid (Keras' Dense(1, activation='sigmoid')) is dropped.
  if (model.net.size() && model.net[model.net.size() - 1].type_name() == "Sigmoid")
    model.net.pop_back();
  model.net.eval();
  return model;
}

bool is_keras_file(const std::string& path) {
#ifdef BRAIN_TUMOR_HAS_KERAS
  return glia::io::is_hdf5_file(path);
#else
  static const char signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::equal(head, head + 8, signature);
#endif
}

glia::nn::Sequential load_keras(const std::string& path) {
#ifdef BRAIN_TUMOR_HAS_KERAS
  return glia::io::load_keras_h5(path);
#else
  throw std::runtime_error(
      "cannot load '" + path +
      "': this build has no Keras support (needs libhdf5-dev and nlohmann-json3-dev)");
#endif
}

}  // namespace brain_tumor
