#include "model.hpp"

#include <fstream>
#include <stdexcept>

#include <glia/glia.hpp>

namespace brain_tumor {

glia::nn::Sequential build_seed_network() {
  namespace nn = glia::nn;
  nn::Sequential net;
  net.add(nn::ZeroPad2d(2));
  net.add(nn::Conv2d(3, 32, 7));
  net.add(nn::BatchNorm2d(32, 1e-3f, 0.01f));
  net.add(nn::ReLU());
  net.add(nn::MaxPool2d(4));
  net.add(nn::MaxPool2d(4));
  net.add(nn::Flatten());
  net.add(nn::Dense(6272, 1));
  return net;
}

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
      for (size_t c = 0; c < 3; ++c) out[c * kPlane + p] = image.pixels[p * 3 + c] * (1.0f / 255.0f);
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

glia::nn::Sequential load_model(const std::string& path) {
  if (!glia::io::is_checkpoint_file(path)) {
    std::ifstream probe(path);
    throw std::runtime_error("cannot load model '" + path + "': " +
                             (probe ? "not a glia checkpoint" : "file not found"));
  }
  glia::nn::Sequential net = build_seed_network();
  glia::load(net, path);
  net.eval();
  return net;
}

}  // namespace brain_tumor
