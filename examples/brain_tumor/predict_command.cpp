// brain_tumor predict: the probability of a tumour for each image given.
#include <cstdio>
#include <iostream>
#include <memory>

#include <glia/glia.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

struct PredictOptions {
  std::string model;
  std::vector<std::string> images;
  int threads = 0;
};

int run_predict(const PredictOptions& o) {
  apply_threads(o.threads);
  glia::nn::Sequential net = load_for_inference(o.model);
  glia::NoGradGuard no_grad;
  int failures = 0;
  for (const std::string& path : o.images) {
    ImageRef ref;
    ref.path = ref.relative = path;
    Prepared item;
    try {
      item = preprocess(ref, read_bgr(path));
    } catch (const std::exception& e) {
      std::cerr << kErrorPrefix << e.what() << "\n";
      ++failures;
      continue;
    }
    glia::Tensor x = glia::data::image_to_tensor(item.image);
    const float logit = net.forward(glia::reshape(x, {1, x.size(0), x.size(1), x.size(2)})).item();
    const double p = glia::sigmoid(static_cast<double>(logit));
    std::printf("%s\t%.6f\t%s\n", path.c_str(), p, p > 0.5 ? "yes" : "no");
  }
  return failures ? 1 : 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "probability of a tumour for each image");
  cmd->footer(
      "Print one line per image: path, probability of a tumour, and the label (yes if > 0.5). "
      "Unreadable images are reported on stderr and make the exit code 1.");
  cmd->add_option("--model", options->model,
                  "best.glia from train, or a Keras HDF5 model (told apart by content)")
      ->required();
  cmd->add_option("images", options->images, "the images")->required();
  add_threads_option(*cmd, options->threads);
  add_max_pixels_option(*cmd);
  return {cmd, [options] { return run_predict(*options); }};
}

}  // namespace brain_tumor
