// brain_tumor explain: a Grad-CAM heat map of the region that drove the decision.
#include <cstdio>
#include <memory>

#include <glia/glia.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "explain.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

struct ExplainOptions {
  std::string model, image, out;
  int frame = 0;  // of a multi-frame DICOM file, 1-based; 0: the first
  int threads = 0;
};

int run_explain(const ExplainOptions& o) {
  apply_threads(o.threads);
  LoadedModel model = load_model(o.model);
  ImageRef file;
  file.path = file.relative = o.image;
  const InputImage image = read_frame(o.image, o.frame);
  const Prepared item =
      preprocess(ref_of(file, image), image.bgr, input_size(model.net), Fingerprints::skip);
  const glia::Tensor x = glia::data::image_to_tensor(item.image);
  const GradCam cam = grad_cam(model.net, glia::reshape(x, {1, x.size(0), x.size(1), x.size(2)}));
  glia::io::write_png(o.out, overlay_heat(item.image, cam.heat));
  int64_t peak = 0;
  for (int64_t i = 1; i < cam.heat.numel(); ++i) {
    if (cam.heat.data()[i] > cam.heat.data()[peak]) peak = i;
  }
  const double p = glia::sigmoid(static_cast<double>(cam.logit));
  std::printf("%s\t%.6f\t%s\tpeak at (x %lld, y %lld) of the %lldx%lld map\twrote %s%s%s\n",
              item.ref.relative.c_str(), p, p > 0.5 ? "yes" : "no",
              static_cast<long long>(peak % cam.heat.size(1)),
              static_cast<long long>(peak / cam.heat.size(1)),
              static_cast<long long>(cam.heat.size(1)), static_cast<long long>(cam.heat.size(0)),
              o.out.c_str(), item.ref.sop_instance_uid.empty() ? "" : "\t",
              item.ref.sop_instance_uid.c_str());
  return 0;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* cmd =
      app.add_subcommand("explain", "Grad-CAM heat map of the region that drove the decision");
  cmd->footer(
      "Grad-CAM of the last conv block (conv, batch norm, relu and its max-pools: a 14x14 map "
      "for the seed network): the gradient of the logit with respect to that block's "
      "activations, averaged per channel, weights the activations; the map is drawn over the "
      "cropped scan at the network's input size (red: drove the decision most).");
  cmd->add_option("--model", options->model, "best.glia from train, or a Keras HDF5 model")
      ->required();
  cmd->add_option("image", options->image, "the scan: an image or a DICOM file")->required();
  cmd->add_option("--frame", options->frame,
                  "the frame of a multi-frame DICOM file, from 1 (default: the first)")
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--out", options->out, "the PNG to write")->required();
  add_threads_option(*cmd, options->threads);
  add_input_options(*cmd);
  return {cmd, [options] { return run_explain(*options); }};
}

}  // namespace brain_tumor
