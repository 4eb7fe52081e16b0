// The seed paper's brain-tumour MRI classifier (Keras, 2019), for 240x240x3 inputs:
// ZeroPad2d(2) -> Conv2d(3, 32, 7) -> BatchNorm2d(32, eps 1e-3, momentum 0.01) -> ReLU ->
// MaxPool2d(4) -> MaxPool2d(4) -> Flatten (6272) -> Dense(6272, 1). It ends in the logit: apply
// sigmoid (or binary_cross_entropy_with_logits). 11,137 parameters, 11,073 trainable.
#pragma once

#include <glia/nn/activation_layers.hpp>
#include <glia/nn/batch_norm2d.hpp>
#include <glia/nn/conv2d.hpp>
#include <glia/nn/dense.hpp>
#include <glia/nn/pooling.hpp>
#include <glia/nn/sequential.hpp>
#include <glia/nn/shape_layers.hpp>

namespace brain_tumor {

inline glia::nn::Sequential seed_network(glia::Rng& rng = glia::default_rng()) {
  using namespace glia::nn;
  Sequential net({3, 240, 240});
  net.add(ZeroPad2d(2));
  net.add(Conv2d(3, 32, 7, 1, 0, true, rng));
  net.add(BatchNorm2d(32, 1e-3f, 0.01f));
  net.add(ReLU());
  net.add(MaxPool2d(4));
  net.add(MaxPool2d(4));
  net.add(Flatten());
  net.add(Dense(6272, 1, true, rng));
  return net;
}

}  // namespace brain_tumor
