#include "model.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

#include <glia/io/checkpoint.hpp>
#include <glia/nn/fold.hpp>
#ifdef BRAIN_TUMOR_HAS_KERAS
#include <glia/io/keras_h5.hpp>
#endif
#ifdef BRAIN_TUMOR_HAS_ONNX
#include <glia/io/onnx.hpp>
#endif

#include "seed_network.hpp"

namespace brain_tumor {

LoadedModel load_model(const std::string& path) {
  LoadedModel model;
  if (glia::io::is_checkpoint_file(path)) {
    // The checkpoint records its architecture; files of glia 0.1 do not, and hold the seed's.
    if (glia::io::architecture_of(glia::io::read_checkpoint(path)).empty()) {
      model.net = seed_network();
      glia::load(model.net, path);
    } else {
      const std::shared_ptr<glia::nn::Module> loaded = glia::io::load_model(path);
      if (const auto sequential = std::dynamic_pointer_cast<glia::nn::Sequential>(loaded)) {
        model.net = *sequential;
      } else {
        model.net.add(loaded);
      }
    }
    model.format = "glia checkpoint";
  } else if (is_keras_file(path)) {
    model.net = load_keras(path);
    model.format = "Keras HDF5";
  } else if (is_onnx_name(path)) {
#ifdef BRAIN_TUMOR_HAS_ONNX
    model.net = glia::io::load_onnx(path);
    model.format = "ONNX";
#else
    throw std::runtime_error("cannot load '" + path +
                             "': this build has no ONNX support (needs libonnx-dev)");
#endif
  } else {
    std::ifstream probe(path);
    throw std::runtime_error("cannot load model '" + path + "': " +
                             (probe
                                  ? "neither a glia checkpoint, a Keras HDF5 file nor a .onnx file"
                                  : "file not found"));
  }
  // The tools work on logits: a final sigmoid (Keras' Dense(1, activation='sigmoid')) is dropped.
  if (model.net.size() && model.net[model.net.size() - 1].type_name() == "Sigmoid")
    model.net.pop_back();
  model.net.eval();
  return model;
}

glia::nn::Sequential load_for_inference(const std::string& path) {
  return glia::nn::fold_batch_norm(load_model(path).net);
}

int input_size(const glia::nn::Sequential& net) {
  const glia::Shape& shape = net.example_shape();
  if (shape.size() == 3 && shape[0] == 3 && shape[1] == shape[2]) return static_cast<int>(shape[1]);
  return 240;
}

bool is_onnx_name(const std::string& path) {
  // ONNX files have no signature: protobuf messages are recognised by their name.
  if (path.size() < 5) return false;
  std::string ext = path.substr(path.size() - 5);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".onnx";
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
