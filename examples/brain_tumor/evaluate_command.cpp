// brain_tumor evaluate and predict: run a trained model on images.
#include <cstdio>
#include <iostream>
#include <sstream>

#include <glia/glia.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "dataset.hpp"
#include "metrics.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

const char* kEvaluateUsage = R"(usage: brain_tumor evaluate --model FILE --data DIR [options]

Runs the model on every image under DIR/yes and DIR/no (the seed's preprocessing: crop to the
brain contour, 240x240 bicubic, BGR) and prints accuracy, F1, precision, recall, ROC AUC and the
confusion matrix.

options:
  --model FILE          best.glia from train, or a Keras HDF5 model (told apart by content)
  --data DIR            folder with yes/ and no/
  --predictions FILE    also write a TSV: file (relative to DIR), label (1 yes, 0 no), prob
  --strict              stop at the first unreadable image instead of skipping it
  --threads N           worker threads (default: all cores)
)";

const char* kPredictUsage = R"(usage: brain_tumor predict --model FILE IMAGE...

Prints one line per image: path, probability of a tumour, and the label (yes if > 0.5).
Unreadable images are reported on stderr and make the exit code 1.

options:
  --model FILE    best.glia from train, or a Keras HDF5 model (told apart by content)
  --threads N     worker threads (default: all cores)
)";

}  // namespace

int run_evaluate(int argc, char** argv) {
  const Args args = Args::parse(argc, argv, 2,
                                {{"model", true},
                                 {"data", true},
                                 {"predictions", true},
                                 {"strict", false},
                                 {"threads", true}},
                                false);
  if (args.has("help")) {
    std::cout << kEvaluateUsage;
    return 0;
  }
  if (!args.has("model") || !args.has("data"))
    throw UsageError("evaluate needs --model and --data");
  apply_threads_flag(args);
  glia::nn::Sequential net = load_model(args.get("model")).net;
  const PreparedSet set = prepare_images(list_class_folders(args.get("data")), args.has("strict"));
  for (const SkippedFile& s : set.skipped) {
    std::cerr << "warning: skipped '" << s.relative << "': " << s.reason << "\n";
  }
  std::vector<int> order, labels;
  for (size_t i = 0; i < set.items.size(); ++i) {
    order.push_back(static_cast<int>(i));
    labels.push_back(set.items[i].ref.label);
  }
  const std::vector<float> logits = predict_logits(net, set.items, order);
  const Metrics m = compute_metrics(logits, labels);
  std::printf(
      "images %lld (skipped %zu)\naccuracy  %.4f\nf1        %.4f\nprecision %.4f\n"
      "recall    %.4f\nroc_auc   %.4f\nloss      %.4f\nconfusion [[tn %lld, fp %lld], [fn %lld, tp "
      "%lld]]\n",
      static_cast<long long>(m.count), set.skipped.size(), m.accuracy, m.f1, m.precision, m.recall,
      m.roc_auc, m.loss, static_cast<long long>(m.tn), static_cast<long long>(m.fp),
      static_cast<long long>(m.fn), static_cast<long long>(m.tp));
  if (args.has("predictions")) {
    std::ostringstream tsv;
    tsv << "file\tlabel\tprob\n";
    char prob[32];
    for (size_t i = 0; i < set.items.size(); ++i) {
      std::snprintf(prob, sizeof(prob), "%.6f",
                    1.0 / (1.0 + std::exp(-static_cast<double>(logits[i]))));
      tsv << set.items[i].ref.relative << "\t" << labels[i] << "\t" << prob << "\n";
    }
    glia::io::write_file_atomically(args.get("predictions"), tsv.str());
  }
  return 0;
}

int run_predict(int argc, char** argv) {
  const Args args = Args::parse(argc, argv, 2, {{"model", true}, {"threads", true}}, true);
  if (args.has("help")) {
    std::cout << kPredictUsage;
    return 0;
  }
  if (!args.has("model")) throw UsageError("predict needs --model");
  if (args.positional().empty()) throw UsageError("predict needs at least one IMAGE");
  apply_threads_flag(args);
  glia::nn::Sequential net = load_model(args.get("model")).net;
  int failures = 0;
  for (const std::string& path : args.positional()) {
    ImageRef ref;
    ref.path = path;
    ref.relative = path;
    std::vector<Prepared> one;
    try {
      one.push_back(preprocess(ref, read_bgr(path)));
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
      ++failures;
      continue;
    }
    const float logit = predict_logits(net, one, {0})[0];
    const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(logit)));
    std::printf("%s\t%.6f\t%s\n", path.c_str(), p, p > 0.5 ? "yes" : "no");
  }
  return failures ? 1 : 0;
}

}  // namespace brain_tumor
