#include "explain.hpp"

#include <algorithm>
#include <cmath>

#include <glia/glia.hpp>

namespace brain_tumor {

size_t last_conv_block_end(const glia::nn::Sequential& net) {
  size_t end = 0;
  for (size_t i = 0; i < net.size(); ++i) {
    if (net[i].type_name() != "Conv2d") continue;
    end = i + 1;
    while (end < net.size() &&
           (net[end].type_name() == "BatchNorm2d" || net[end].type_name() == "ReLU" ||
            net[end].type_name() == "MaxPool2d")) {
      ++end;
    }
  }
  glia::check_arg(end > 0, "grad_cam", "the network has no Conv2d layer");
  return end;
}

namespace {

bool has_conv(const glia::nn::Sequential& net) {
  for (size_t i = 0; i < net.size(); ++i)
    if (net[i].type_name() == "Conv2d") return true;
  return false;
}

// Grad-CAM of one chain of layers: the heat before scaling, and the logit.
GradCam grad_cam_of_chain(glia::nn::Sequential& net, const glia::Tensor& x) {
  GradCam cam;
  cam.block_end = last_conv_block_end(net);
  glia::Tensor activation;
  {
    glia::NoGradGuard no_grad;
    activation = x;
    for (size_t i = 0; i < cam.block_end; ++i) activation = net[i].forward(activation);
  }
  // The activation becomes a leaf, so backward() leaves d logit / dA in its grad().
  glia::Tensor a = activation.clone().requires_grad(true);
  glia::Tensor h = a;
  for (size_t i = cam.block_end; i < net.size(); ++i) h = net[i].forward(h);
  glia::check_arg(h.numel() == 1, "grad_cam", "expects one logit, the network gives ",
                  glia::shape_str(h.shape()));
  cam.logit = h.item();
  glia::sum(h).backward();

  // weights: d logit / dA averaged over each channel's plane; heat: relu(sum_c w_c A_c).
  const glia::Tensor weights = glia::mean(a.grad(), {2, 3}, true);           // {1, C, 1, 1}
  const glia::Tensor heat = glia::relu(glia::sum(weights * a.detach(), 1));  // {1, H, W}
  cam.heat = glia::reshape(heat, {heat.size(1), heat.size(2)}).clone();
  return cam;
}

}  // namespace

GradCam grad_cam(glia::nn::Sequential& net, const glia::Tensor& x) {
  net.eval();
  GradCam cam;
  if (has_conv(net)) {
    cam = grad_cam_of_chain(net, x);
  } else {
    // A recipe's model wraps its network, or an nn::Average of networks (an ensemble), in a
    // Sequential, perhaps with a calibrating scale behind: the map is that of the network, or
    // the sum of the networks' maps (the scale, positive, changes no map once normalised).
    glia::check_arg(net.size() >= 1, "grad_cam", "the network has no Conv2d layer");
    std::vector<glia::nn::Sequential*> chains;
    if (auto* inner = net.layer_as<glia::nn::Sequential>(0)) chains.push_back(inner);
    if (auto* ensemble = net.layer_as<glia::nn::Average>(0)) {
      for (size_t b = 0; b < ensemble->size(); ++b) {
        auto* chain = dynamic_cast<glia::nn::Sequential*>(&(*ensemble)[b]);
        glia::check_arg(chain != nullptr, "grad_cam", "branch ", b, " of the ensemble is a ",
                        (*ensemble)[b].type_name(), ", not a chain of layers");
        chains.push_back(chain);
      }
    }
    glia::check_arg(!chains.empty(), "grad_cam", "the network has no Conv2d layer");
    for (glia::nn::Sequential* chain : chains) {
      const GradCam one = grad_cam_of_chain(*chain, x);
      glia::check_arg(!cam.heat.defined() || one.heat.shape() == cam.heat.shape(), "grad_cam",
                      "the ensemble's networks give maps of different sizes");
      cam.heat = cam.heat.defined() ? cam.heat + one.heat : one.heat;
      cam.block_end = one.block_end;
    }
    glia::NoGradGuard no_grad;
    cam.logit = net.forward(x).item();
  }
  const float peak = glia::as_array(cam.heat).maxCoeff();
  if (peak > 0) glia::as_array(cam.heat) /= peak;
  return cam;
}

namespace {

// The heat map resized to width x height (bilinear at each pixel's centre), each value in a
// jet-like colour map, blue (0) -> cyan -> yellow -> red (1), channels in [0, 1], RGB.
template <class Pixel>
void for_each_heat_colour(const glia::Tensor& heat, int width, int height, Pixel pixel) {
  const int64_t hh = heat.size(0), hw = heat.size(1);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float fy = std::clamp((y + 0.5f) * hh / height - 0.5f, 0.0f, hh - 1.0f);
      const float fx = std::clamp((x + 0.5f) * hw / width - 0.5f, 0.0f, hw - 1.0f);
      const int64_t y0 = static_cast<int64_t>(fy), x0 = static_cast<int64_t>(fx);
      const int64_t y1 = std::min(y0 + 1, hh - 1), x1 = std::min(x0 + 1, hw - 1);
      const float dy = fy - y0, dx = fx - x0;
      auto at = [&](int64_t r, int64_t c) { return heat.data()[r * hw + c]; };
      const float v = (1 - dy) * ((1 - dx) * at(y0, x0) + dx * at(y0, x1)) +
                      dy * ((1 - dx) * at(y1, x0) + dx * at(y1, x1));
      const float colour[3] = {std::clamp(1.5f - std::fabs(4 * v - 3), 0.0f, 1.0f),
                               std::clamp(1.5f - std::fabs(4 * v - 2), 0.0f, 1.0f),
                               std::clamp(1.5f - std::fabs(4 * v - 1), 0.0f, 1.0f)};
      pixel(x, y, colour);
    }
  }
}

}  // namespace

Image heat_colours(const glia::Tensor& heat, int width, int height) {
  Image out(width, height, 3);
  for_each_heat_colour(heat, width, height, [&](int x, int y, const float* colour) {
    for (int c = 0; c < 3; ++c) out.at(y, x, c) = static_cast<uint8_t>(std::lrint(255 * colour[c]));
  });
  return out;
}

Image overlay_heat(const Image& bgr, const glia::Tensor& heat) {
  Image out(bgr.width, bgr.height, 3);
  for_each_heat_colour(heat, bgr.width, bgr.height, [&](int x, int y, const float* colour) {
    for (int c = 0; c < 3; ++c) {
      const float base = bgr.at(y, x, 2 - c);  // BGR -> RGB
      out.at(y, x, c) =
          static_cast<uint8_t>(std::clamp(0.55f * base + 0.45f * 255.0f * colour[c], 0.0f, 255.0f));
    }
  });
  return out;
}

}  // namespace brain_tumor
