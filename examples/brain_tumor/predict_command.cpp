// brain_tumor predict: the probability of a tumour for each image given.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
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

// One line per image: its name (file, and #frame for a frame of a multi-frame DICOM file), the
// probability, the label, and for DICOM its SOP Instance UID.
void print_prediction(const ImageRef& ref, double p) {
  std::printf("%s\t%.6f\t%s", ref.relative.c_str(), p, p > 0.5 ? "yes" : "no");
  if (!ref.sop_instance_uid.empty()) std::printf("\t%s", ref.sop_instance_uid.c_str());
  std::printf("\n");
}

// A DICOM series' summary: its highest-probability slice decides (the series shows a tumour if
// any slice does). Named by that slice, never by a patient-identifying tag.
void print_series_summaries(const std::vector<Prepared>& items, const std::vector<double>& p) {
  std::vector<std::vector<size_t>> series;  // the slices of each, series in order of appearance
  std::map<std::string, size_t> index;      // scan key -> its series
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].ref.sop_instance_uid.empty()) continue;
    const auto [at, added] = index.emplace(items[i].ref.scan_key, series.size());
    if (added) series.emplace_back();
    series[at->second].push_back(i);
  }
  for (const std::vector<size_t>& slices : series) {
    const size_t top = *std::max_element(slices.begin(), slices.end(),
                                         [&](size_t a, size_t b) { return p[a] < p[b]; });
    std::printf("series\t%.6f\t%s\t%zu slice%s; highest: %s\t%s\n", p[top],
                p[top] > 0.5 ? "yes" : "no", slices.size(), slices.size() == 1 ? "" : "s",
                items[top].ref.relative.c_str(), items[top].ref.sop_instance_uid.c_str());
  }
}

int run_predict(const PredictOptions& o) {
  apply_threads(o.threads);
  const Recipe recipe = recipe_with(o.recipe, o.settings);
  glia::nn::Sequential net = load_for_inference(o.model);
  int failures = 0;
  std::vector<Prepared> items;
  for (const std::string& argument : o.images) {
    std::vector<std::string> files;
    try {
      files = input_files(argument);
    } catch (const std::exception& e) {
      std::cerr << kErrorPrefix << e.what() << "\n";
      ++failures;
    }
    for (const std::string& path : files) {
      ImageRef file;
      file.path = file.relative = path;
      try {
        for (const InputImage& image : read_input(path))
          items.push_back(
              preprocess(ref_of(file, image), image.bgr, input_size(net), Fingerprints::skip));
      } catch (const std::exception& e) {
        std::cerr << kErrorPrefix << e.what() << "\n";
        ++failures;
      }
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
  std::vector<double> p(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    p[i] = glia::sigmoid(static_cast<double>(logits[i]));
    print_prediction(items[i].ref, p[i]);
  }
  print_series_summaries(items, p);
  return failures ? 1 : 0;
}

}  // namespace

Command add_predict_command(CLI::App& app) {
  auto options = std::make_shared<PredictOptions>();
  CLI::App* cmd = app.add_subcommand("predict", "probability of a tumour for each image");
  cmd->footer(
      "Print one line per image: its name, the probability of a tumour, and the label (yes if "
      "> 0.5). An argument may be an image, a DICOM file (each frame one image, named FILE#N "
      "when there are several; its line ends with its SOP Instance UID), a folder (its files, "
      "in subfolders too) or a DICOMDIR (the files it lists). After the images, one line per "
      "DICOM series: 'series', the probability and label of its highest-probability slice, the "
      "number of slices, and that slice's name and SOP Instance UID. Unreadable files are "
      "reported on stderr (the others are still predicted) and make the exit code 1.");
  cmd->add_option("--model", options->model,
                  "best.glia from train, a Keras HDF5 model (told apart by content), or a .onnx "
                  "model")
      ->required();
  cmd->add_option("images", options->images, "the images: image or DICOM files, folders, DICOMDIRs")
      ->required();
  add_recipe_option(*cmd, options->recipe,
                    "the recipe the model was trained with; glia averages the logits of the image "
                    "and its mirrors");
  add_settings_option(*cmd, options->settings);
  cmd->add_option("--save-inputs", options->save_inputs,
                  "also write each image as the network sees it (cropped and resized) to "
                  "DIR/000.png, DIR/001.png, ... in the order of the readable images");
  add_threads_option(*cmd, options->threads);
  add_input_options(*cmd);
  return {cmd, [options] { return run_predict(*options); }};
}

}  // namespace brain_tumor
