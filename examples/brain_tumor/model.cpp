#include "model.hpp"

#include <glia/io/checkpoint.hpp>
#include <glia/io/load_model_file.hpp>
#include <glia/nn/fold.hpp>

#include "seed_network.hpp"

namespace brain_tumor {

LoadedModel load_model(const std::string& path) {
  LoadedModel model;
  const glia::io::ModelFormat format = glia::io::model_format(path);
  model.format = glia::io::format_name(format);
  if (format == glia::io::ModelFormat::glia &&
      glia::io::architecture_of(glia::io::read_checkpoint(path)).empty()) {
    model.net = seed_network();  // a glia 0.1 file: the seed network's weights
    glia::load(model.net, path);
  } else {
    const std::shared_ptr<glia::nn::Module> loaded = glia::io::load_model_file(path);
    if (const auto sequential = std::dynamic_pointer_cast<glia::nn::Sequential>(loaded)) {
      model.net = *sequential;
    } else {
      model.net.add(loaded);
    }
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

}  // namespace brain_tumor
