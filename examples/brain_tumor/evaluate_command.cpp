// brain_tumor evaluate: a trained model's metrics on a folder of labelled scans.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include <glia/glia.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "model.hpp"
#include "recipes.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {

struct EvaluateOptions {
  std::vector<std::string> settings;  // --set, for the test-time augmentation
  std::string model, data, predictions, recipe = "seed";
  bool strict = false;
  int threads = 0;
};

int run_evaluate(const EvaluateOptions& o) {
  apply_threads(o.threads);
  glia::nn::Sequential net = load_for_inference(o.model);
  const Recipe recipe = recipe_with(o.recipe, o.settings);
  const PreparedSet set = prepare_images(list_class_folders(o.data), o.strict, {}, input_size(net));
  for (const SkippedFile& s : set.skipped) {
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  }
  std::vector<int> all(set.items.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  const std::vector<float> logits = predict_logits(net, recipe, set.items, all);
  std::vector<int> labels;
  for (const Prepared& item : set.items) labels.push_back(item.ref.label);
  const glia::metrics::BinaryMetrics m = glia::metrics::binary_metrics(logits, labels);
  std::printf(
      "images %lld (skipped %zu)\naccuracy  %.4f\nf1        %.4f\nprecision %.4f\n"
      "recall    %.4f\nroc_auc   %.4f\nloss      %.4f\nconfusion [[tn %lld, fp %lld], [fn %lld, tp "
      "%lld]]\n",
      static_cast<long long>(m.count), set.skipped.size(), m.accuracy, m.f1, m.precision, m.recall,
      m.roc_auc, m.log_loss, static_cast<long long>(m.tn), static_cast<long long>(m.fp),
      static_cast<long long>(m.fn), static_cast<long long>(m.tp));
  if (!o.predictions.empty()) {
    std::ostringstream tsv;
    tsv << "file\tlabel\tprob\n";
    char prob[32];
    for (size_t i = 0; i < set.items.size(); ++i) {
      std::snprintf(prob, sizeof(prob), "%.6f", glia::sigmoid(static_cast<double>(logits[i])));
      tsv << set.items[i].ref.relative << "\t" << labels[i] << "\t" << prob << "\n";
    }
    glia::io::write_file_atomically(o.predictions, tsv.str());
  }
  return 0;
}

}  // namespace

Command add_evaluate_command(CLI::App& app) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* cmd = app.add_subcommand("evaluate", "metrics of a model on DIR/yes and DIR/no");
  cmd->footer(
      "Run a model on every image under DIR/yes and DIR/no (the seed's preprocessing: crop to "
      "the brain contour, bicubic to the network's input size, BGR) and print accuracy, F1, "
      "precision, recall, ROC "
      "AUC and the confusion matrix.");
  cmd->add_option("--model", options->model,
                  "best.glia from train, or a Keras HDF5 model (told apart by content)")
      ->required();
  cmd->add_option("--data", options->data, "folder with yes/ and no/")->required();
  cmd->add_option("--predictions", options->predictions,
                  "also write a TSV: file (relative to DIR), label (1 yes, 0 no), prob");
  cmd->add_flag("--strict", options->strict,
                "stop at the first unreadable image instead of skipping it");
  add_recipe_option(*cmd, options->recipe,
                    "the recipe the model was trained with; glia averages the logits of the image "
                    "and its mirrors");
  add_settings_option(*cmd, options->settings);
  add_threads_option(*cmd, options->threads);
  add_input_options(*cmd);
  return {cmd, [options] { return run_evaluate(*options); }};
}

}  // namespace brain_tumor
