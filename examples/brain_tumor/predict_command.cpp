// brain_tumor predict: the probability of a tumour for each image given.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include <glia/glia.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "model.hpp"
#include "recipes.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {

struct PredictOptions {
  std::vector<std::string> settings;  // --set, for the test-time augmentation
  std::string model, recipe = "seed", save_inputs;
  std::vector<std::string> images;
  int threads = 0;
};

int run_predict(const PredictOptions& o) {
  apply_threads(o.threads);
  const Recipe recipe = recipe_with(o.recipe, o.settings);
  glia::nn::Sequential net = load_for_inference(o.model);
  int failures = 0;
  std::vector<Prepared> items;
  for (const std::string& path : o.images) {
    ImageRef ref;
    ref.path = ref.relative = path;
    try {
      items.push_back(preprocess(ref, read_bgr(path), input_size(net)));
    } catch (const std::exception& e) {
      std::cerr << kErrorPrefix << e.what() << "\n";
      ++failures;
    }
  }
  if (!o.save_inputs.empty()) {
    std::filesystem::create_directories(o.save_inputs);
    for (size_t i = 0; i < items.size(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "%03zu.png", i);
      glia::io::write_png(o.save_inputs + "/" + name, items[i].image);
    }
  }
  std::vector<int> all(items.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  const std::vector<float> logits = predict_logits(net, recipe, items, all);
  for (size_t i = 0; i < items.size(); ++i) {
    const double p = glia::sigmoid(static_cast<double>(logits[i]));
    std::printf("%s\t%.6f\t%s\n", items[i].ref.path.c_str(), p, p > 0.5 ? "yes" : "no");
  }
  return failures ? 1 : 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "probability of a tumour for each image");
  cmd->footer(
      "Print one line per image: path, probability of a tumour, and the label (yes if > 0.5). "
      "Unreadable images are reported on stderr (the others are still predicted) and make the "
      "exit code 1.");
  cmd->add_option("--model", options->model,
                  "best.glia from train, a Keras HDF5 model (told apart by content), or a .onnx "
                  "model")
      ->required();
  cmd->add_option("images", options->images, "the images")->required();
  add_recipe_option(*cmd, options->recipe,
                    "the recipe the model was trained with; glia averages the logits of the image "
                    "and its mirrors");
  add_settings_option(*cmd, options->settings);
  cmd->add_option("--save-inputs", options->save_inputs,
                  "also write each image as the network sees it (cropped and resized) to "
                  "DIR/000.png, DIR/001.png, ... in the order of the readable images");
  add_threads_option(*cmd, options->threads);
  add_max_pixels_option(*cmd);
  return {cmd, [options] { return run_predict(*options); }};
}

}  // namespace brain_tumor
