// The seed paper's brain-tumour MRI classifier (Keras, 2019), for 240x240x3 inputs:
// ZeroPad2d(2) -> Conv2d(3, 32, 7) -> BatchNorm2d(32, eps 1e-3, momentum 0.01) -> ReLU ->
// MaxPool2d(4) -> MaxPool2d(4) -> Flatten (6272) -> Dense(6272, 1). It ends in the logit: apply
// sigmoid (or binary_cross_entropy_with_logits). 11,137 parameters, 11,073 trainable.
//
// Built with the ReLU after the first max pool: max_pool(relu(x)) == relu(max_pool(x)) bit for
// bit, values and gradients (relu is monotone, and a window's first maximum is the same element
// either way, or gets a zero gradient both ways), and relu then touches 1/16 of the 232 MB
// activation of a batch of 32. The layers keep Keras' indices (parameters "1.weight", ...).
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
  net.add(MaxPool2d(4));
  net.add(ReLU(in_place));  // on the pool's fresh output
  net.add(MaxPool2d(4));
  net.add(Flatten());
  net.add(Dense(6272, 1, true, rng));
  return net;
}

}  // namespace brain_tumor
