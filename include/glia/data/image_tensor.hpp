/// @file
/// Images (8-bit, HWC, channels interleaved, as decoded) to tensors (float, CHW), and back.
///
///   Tensor x = data::image_to_tensor(image);            // {C, H, W}, values in [0, 1]
///   data::ImageToTensor bgr{1.0f / 255.0f, true};       // channel order reversed (RGB <-> BGR)
#pragma once

#include "glia/io/image.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia::data {

/// How an 8-bit image becomes floats: a scale, and optionally the channel order reversed.
struct ImageToTensor {
  float scale = 1.0f / 255.0f;    ///< each value is multiplied by this
  bool reverse_channels = false;  ///< channel c of the tensor is channel C-1-c of the image
};

/// Writes image.channels planes of height x width floats to `out` (CHW).
void image_to_chw(const io::Image& image, float* out, const ImageToTensor& options = {});

/// The image as a tensor {C, H, W}.
Tensor image_to_tensor(const io::Image& image, const ImageToTensor& options = {});

}  // namespace glia::data
