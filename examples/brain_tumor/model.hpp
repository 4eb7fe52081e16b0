// The example's models from files: any format glia reads (glia::io::load_model_file), as the
// logit-ending network the tools work on.
#pragma once

#include <string>

#include <glia/io/model_file.hpp>
#include <glia/nn/sequential.hpp>

namespace brain_tumor {

struct LoadedModel {
  glia::nn::Sequential net;  // in eval mode, ending in the logit
  std::string format;        // "glia checkpoint", "Keras HDF5" or "ONNX"
};

// A glia checkpoint (a glia 0.1 file, which records no architecture, holds the seed network),
// a Keras HDF5 model (the seed's published checkpoint) or an ONNX model (a name ending in
// .onnx); a final sigmoid is dropped. Throws std::runtime_error naming the file.
LoadedModel load_model(const std::string& path);

// The model for inference: load_model() with batch norm folded into its convolutions.
glia::nn::Sequential load_for_inference(const std::string& path);

// The side of the square BGR image the network takes: what its checkpoint records ({3, S, S}),
// else the seed's 240 (Keras models and glia 0.1 checkpoints hold the seed network).
int input_size(const glia::nn::Sequential& net);

}  // namespace brain_tumor
