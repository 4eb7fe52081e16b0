#include "analysis.hpp"

#include <glia/glia.hpp>
#include <glia/nn/fold.hpp>

#include "dataset.hpp"
#include "explain.hpp"
#include "html.hpp"
#include "input_files.hpp"
#include "preprocess.hpp"
#include "training.hpp"

namespace brain_tumor {

Analyzer::Analyzer(const LoadedModel& model, const Recipe& recipe)
    : inference_(glia::nn::fold_batch_norm(model.net)),
      explained_(model.net),  // a deep copy: this thread's own parameters
      recipe_(recipe),
      size_(input_size(model.net)) {
  inference_.eval();
  explained_.eval();
}

std::vector<ScanAnalysis> Analyzer::analyze(const std::string& bytes, const std::string& name) {
  std::vector<ScanAnalysis> out;
  ImageRef file;
  file.path = file.relative = name;
  for (const InputImage& image : read_input_bytes(bytes, name)) {
    // The probability exactly as predict computes it: the same preprocessing, the same folded
    // network, the recipe's test-time flips.
    const std::vector<Prepared> items = {
        preprocess(ref_of(file, image), image.bgr, size_, Fingerprints::skip)};
    const double p =
        glia::sigmoid(static_cast<double>(predict_logits(inference_, recipe_, items, {0}).at(0)));
    const glia::Tensor x = glia::data::image_to_tensor(items[0].image);
    const GradCam cam =
        grad_cam(explained_, glia::reshape(x, {1, x.size(0), x.size(1), x.size(2)}));
    ScanAnalysis a;
    a.file = items[0].ref.relative;
    a.sop_instance_uid = image.sop_instance_uid;
    a.probability = p;
    a.label = p > 0.5 ? "yes" : "no";
    a.crop = items[0].crop;
    a.width = image.bgr.width;
    a.height = image.bgr.height;
    // The whole scan as JPEG: PNG's compression of a large scan took a quarter of a request.
    a.image_jpeg = glia::io::encode_jpeg(swap_red_blue(image.bgr), 90);
    a.input_png = glia::io::encode_png(swap_red_blue(items[0].image));
    a.gradcam_png = glia::io::encode_png(heat_colours(cam.heat, size_, size_));
    out.push_back(std::move(a));
  }
  return out;
}

nlohmann::json to_json(const ScanAnalysis& a, const std::string& model_name) {
  nlohmann::json j = {{"file", a.file},
                      {"probability", a.probability},
                      {"label", a.label},
                      {"crop", {a.crop.left, a.crop.top, a.crop.right, a.crop.bottom}},
                      {"width", a.width},
                      {"height", a.height},
                      {"gradcam_png", base64(a.gradcam_png)},
                      {"input_png", base64(a.input_png)},
                      {"image_jpeg", base64(a.image_jpeg)},
                      {"model", model_name}};
  if (!a.sop_instance_uid.empty()) j["sop_instance_uid"] = a.sop_instance_uid;
  return j;
}

}  // namespace brain_tumor
