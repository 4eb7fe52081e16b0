// Grad-CAM (Selvaraju et al. 2017): which region of the input drove the network's logit.
#pragma once

#include <glia/nn/sequential.hpp>

#include "dataset.hpp"

namespace brain_tumor {

struct GradCam {
  glia::Tensor heat;  // {H, W} in [0, 1], at the activation's resolution
  float logit = 0;
  size_t block_end = 0;  // the activation is the output of layers [0, block_end)
};

// The end of the last conv block: the last Conv2d and the BatchNorm2d, ReLU and MaxPool2d
// layers right after it. Taking the pooled output (14x14 for the seed network) is what makes
// the map readable: before the pools only one activation in 256 receives any gradient.
size_t last_conv_block_end(const glia::nn::Sequential& net);

// Grad-CAM of the last conv block for one image x {1, C, H, W}: A = the block's output,
// weights = d logit / dA averaged over space (through glia's autograd), heat = relu(sum_c w_c A_c)
// scaled to [0, 1]. `net` must end in the logit (no final sigmoid). For a recipe's model that
// wraps its network (or an nn::Average of networks) the map is the network's (the sum of the
// networks' maps); block_end then refers to the (last) network's layers.
GradCam grad_cam(glia::nn::Sequential& net, const glia::Tensor& x);

// The heat map resized to width x height (bilinear), in a blue (0) to red (1) colour map, RGB.
Image heat_colours(const glia::Tensor& heat, int width, int height);

// The heat map resized to the image, in that colour map, blended over it (BGR in, RGB out, for
// writing as PNG).
Image overlay_heat(const Image& bgr, const glia::Tensor& heat);

}  // namespace brain_tumor
