// brain_tumor convert and explain: working with model files.
#include <cmath>
#include <cstdio>
#include <iostream>

#include <glia/glia.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "explain.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

const char* kConvertUsage = R"(usage: brain_tumor convert MODEL.h5 OUT.glia

Loads a Keras HDF5 model (the seed's checkpoint: conv kernels HWIO -> OIHW, dense weights
reordered from channels_last flattening) and saves it in glia's checkpoint format, which
evaluate, predict and explain read directly.
)";

const char* kExplainUsage = R"(usage: brain_tumor explain --model FILE IMAGE --out HEAT.png

Grad-CAM of the last conv block (conv, batch norm, relu and its max-pools: a 14x14 map for the
seed network): the gradient of the logit with respect to that block's activations (through
glia's autograd), averaged per channel, weights the activations; the resulting map is drawn
over the cropped 240x240 scan (red: drove the decision most).

options:
  --model FILE    best.glia from train, or a Keras HDF5 model
  --out FILE      the PNG to write
  --threads N     worker threads (default: all cores)
)";

}  // namespace

int run_convert(int argc, char** argv) {
  const Args args = Args::parse(argc, argv, 2, {}, true);
  if (args.has("help")) {
    std::cout << kConvertUsage;
    return 0;
  }
  if (args.positional().size() != 2) throw UsageError("convert needs MODEL.h5 and OUT.glia");
  const std::string& in = args.positional()[0];
  const std::string& out = args.positional()[1];
  if (!is_keras_file(in)) throw std::runtime_error("'" + in + "' is not a Keras HDF5 file");
  glia::nn::Sequential net = load_keras(in);
  net.summary(std::cout, {1, 3, kImageSize, kImageSize});
  glia::save(net, out);
  // The saved layers must be the seed network's, or the tools could not read the file back.
  load_model(out);
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

int run_explain(int argc, char** argv) {
  const Args args =
      Args::parse(argc, argv, 2, {{"model", true}, {"out", true}, {"threads", true}}, true);
  if (args.has("help")) {
    std::cout << kExplainUsage;
    return 0;
  }
  if (!args.has("model") || !args.has("out")) throw UsageError("explain needs --model and --out");
  if (args.positional().size() != 1) throw UsageError("explain needs exactly one IMAGE");
  apply_threads_flag(args);
  LoadedModel model = load_model(args.get("model"));
  const std::string& path = args.positional()[0];
  ImageRef ref;
  ref.path = ref.relative = path;
  const std::vector<Prepared> one{preprocess(ref, read_bgr(path))};
  const glia::Tensor x = make_batch(one, {0}, 0, 1);
  const GradCam cam = grad_cam(model.net, x);
  glia::io::write_png(args.get("out"), overlay_heat(one[0].image, cam.heat));
  int64_t peak = 0;
  for (int64_t i = 1; i < cam.heat.numel(); ++i) {
    if (cam.heat.data()[i] > cam.heat.data()[peak]) peak = i;
  }
  const double p = 1.0 / (1.0 + std::exp(-static_cast<double>(cam.logit)));
  std::printf(
      "%s\t%.6f\t%s\tpeak at (x %lld, y %lld) of the %lldx%lld map\twrote %s\n", path.c_str(), p,
      p > 0.5 ? "yes" : "no", static_cast<long long>(peak % cam.heat.size(1)),
      static_cast<long long>(peak / cam.heat.size(1)), static_cast<long long>(cam.heat.size(1)),
      static_cast<long long>(cam.heat.size(0)), args.get("out").c_str());
  return 0;
}

}  // namespace brain_tumor
