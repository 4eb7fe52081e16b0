// The model card `serve` shows: what the model is, how well its recipe did in cross-validation
// (when a cv.json is given), what it was trained on, and that it is a research tool.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model.hpp"

namespace brain_tumor {

// The card as JSON: {name, format, recipe, input, parameters, layers: ["Conv2d 3->32 7x7", ...],
// threshold, data, disclaimer, cv: {...} (when `cv` is given: its recipe, folds, seed, scans,
// duplicates merged, pooled accuracy, ROC AUC, F1, ECE with 95% intervals, and the reliability
// bins the page's calibration line reads)}. `cv` is the text of a cv.json from brain_tumor cv;
// std::runtime_error names what is missing from it.
nlohmann::json model_card(const std::string& model_path, const LoadedModel& model,
                          const std::string& recipe, const std::optional<std::string>& cv_json);

}  // namespace brain_tumor
