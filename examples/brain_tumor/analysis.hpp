// One uploaded scan analysed for `serve`: the tumour probability (exactly predict's), the brain
// crop the pipeline took, and a Grad-CAM heat map (explain's), as the web page and the JSON API
// show them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model.hpp"
#include "preprocess.hpp"
#include "recipes.hpp"

namespace brain_tumor {

struct ScanAnalysis {
  std::string file;              // the name the client gave, FILE#N for a frame of a DICOM file
  std::string sop_instance_uid;  // DICOM only
  double probability = 0;        // of a tumour
  std::string label;             // "yes" (tumour) when probability > 0.5, else "no"
  Box crop;                      // the brain crop, in the decoded scan's pixels
  int width = 0, height = 0;     // the decoded scan's size
  std::string image_jpeg;        // the decoded scan, RGB, JPEG quality 90 (for display)
  std::string input_png;         // the network's input: the crop resized, RGB
  std::string gradcam_png;       // Grad-CAM at the input's size, in a blue-to-red colour map
};

// The analyses of one worker thread. It owns its copies of the model, since Grad-CAM writes
// gradients into a model's parameters: one Analyzer per thread, never shared.
class Analyzer {
 public:
  Analyzer(const LoadedModel& model, const Recipe& recipe);

  // Every image of an upload (a DICOM file: every frame), in order. Throws std::runtime_error
  // naming `name` when the bytes are not a readable image.
  std::vector<ScanAnalysis> analyze(const std::string& bytes, const std::string& name);

 private:
  glia::nn::Sequential inference_;  // batch norm folded, as predict runs it
  glia::nn::Sequential explained_;  // as loaded: Grad-CAM reads its batch-norm block
  Recipe recipe_;
  int size_;
};

// The API's object for one analysis: {file, probability, label, crop: [x0, y0, x1, y1], width,
// height, gradcam_png, input_png, image_jpeg (base64), model, sop_instance_uid (DICOM)}.
nlohmann::json to_json(const ScanAnalysis& analysis, const std::string& model_name);

}  // namespace brain_tumor
