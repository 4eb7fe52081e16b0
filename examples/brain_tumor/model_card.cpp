#include "model_card.hpp"

#include <filesystem>
#include <stdexcept>

#include <glia/nn/architecture.hpp>

namespace brain_tumor {
namespace {

using nlohmann::json;

// One line per layer, containers indented: "Conv2d in 3, out 16, kernel 3, stride 1, padding 1".
void summarise(const json& layer, int depth, json& lines) {
  const std::string indent(static_cast<size_t>(2 * depth), ' ');
  const std::string type = layer.value("type", "?");
  for (const char* children : {"layers", "branches", "body"}) {
    if (!layer.contains(children)) continue;
    const json& inner = layer.at(children);
    if (inner.is_array() && std::string(children) == "branches" && !inner.empty()) {
      lines.push_back(indent + type + " of " + std::to_string(inner.size()) +
                      " networks of this shape, logits averaged:");
      summarise(inner.at(0), depth + 1, lines);
      return;
    }
    if (std::string(children) != "layers") lines.push_back(indent + type + ":");
    if (inner.is_array()) {
      for (const json& child : inner)
        summarise(child, depth + (type == "Sequential" ? 0 : 1), lines);
    } else {
      summarise(inner, depth + 1, lines);
    }
    return;
  }
  std::string line = indent + type;
  const char* separator = " ";
  for (const auto& [key, value] : layer.items()) {
    if (key == "type" || key == "eps" || key == "momentum" || value.is_structured()) continue;
    line += separator + key + " " + value.dump();
    separator = ", ";
  }
  lines.push_back(line);
}

json cv_figures(const std::string& text) {
  const json cv = json::parse(text);
  const json& pooled = cv.at("pooled");
  const json& folds = cv.at("folds");  // the per-fold details
  json out = {{"recipe", cv.at("recipe")},
              {"folds", folds.is_array() ? json(folds.size()) : folds},
              {"seed", cv.at("seed")},
              {"scans", pooled.at("count")},
              {"accuracy", pooled.at("accuracy")},
              {"accuracy_ci95", pooled.at("accuracy_ci95")},
              {"roc_auc", pooled.at("roc_auc")},
              {"roc_auc_ci95", pooled.at("roc_auc_ci95")},
              {"f1", pooled.at("f1")},
              {"ece", pooled.at("ece")},
              {"reliability_bins", pooled.at("reliability_bins")}};
  // How duplicate scans were kept on one side of each split: the mode and the count merged (not
  // the groups file's path, which is the server's business).
  if (cv.contains("duplicates") && cv.contains("duplicate_scans_merged"))
    out["duplicates"] = cv.at("duplicates").value("mode", "?") + ", " +
                        std::to_string(cv.at("duplicate_scans_merged").value("total", 0)) +
                        " scans merged into the groups of their twins";
  return out;
}

}  // namespace

json model_card(const std::string& model_path, const LoadedModel& model, const std::string& recipe,
                const std::optional<std::string>& cv_json) {
  json card;
  // The file's name only: the server's folders are nobody's business.
  card["name"] = std::filesystem::path(model_path).filename().string();
  card["format"] = model.format;
  card["recipe"] = recipe;
  const int size = input_size(model.net);
  card["input"] = std::to_string(size) + " x " + std::to_string(size) +
                  " colour (BGR), the brain cropped from the scan";
  card["parameters"] = model.net.parameter_count();
  json lines = json::array();
  if (const auto described = glia::nn::describe_architecture(model.net))
    summarise(json::parse(*described), 0, lines);
  card["layers"] = lines;
  card["threshold"] = 0.5;
  card["data"] =
      "Trained on Kaggle's \"Brain MRI Images for Brain Tumor Detection\": 253 axial MRI slices "
      "saved as JPEG and PNG (155 with a tumour, 98 without), of unknown scanners, sequences and "
      "patients, no patient-level identifiers. Scans unlike these (other sequences, "
      "orientations, children, post-operative brains) are outside what it has seen. The model "
      "file does not record how its training images were split (its run's report.json does).";
  card["disclaimer"] =
      "A research tool, not a medical device: not cleared or approved for clinical use, not for "
      "diagnosis or treatment decisions. Its probability is a model's output on one image, "
      "calibrated only as far as the cross-validation below shows.";
  if (cv_json) {
    try {
      card["cv"] = cv_figures(*cv_json);
    } catch (const json::exception& e) {
      throw std::runtime_error(std::string("the cv.json given is not one brain_tumor cv wrote: ") +
                               e.what());
    }
  }
  return card;
}

}  // namespace brain_tumor
