// brain_tumor export: a trained model (glia checkpoint or the seed's Keras file) as ONNX.
#include <cstdio>
#include <memory>

#include <glia/glia.hpp>
#ifdef GLIA_HAS_ONNX
#include <glia/io/onnx.hpp>
#endif

#include "commands.hpp"
#include "errors.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

struct ExportOptions {
  std::string model, onnx;
};

int run_export(const ExportOptions& o) {
#ifdef GLIA_HAS_ONNX
  LoadedModel loaded = load_model(o.model);
  // The file answers with probabilities, as the seed's Keras model does.
  loaded.net.add(glia::nn::Sigmoid());
  const int size = input_size(loaded.net);
  glia::io::save_onnx(loaded.net, {3, size, size}, o.onnx);
  std::printf("wrote %s (%s model; input float32 {N, 3, %d, %d}, output {N, 1})\n", o.onnx.c_str(),
              loaded.format.c_str(), size, size);
  return 0;
#else
  (void)o;
  throw DataError(
      "this build of brain_tumor has no ONNX support (needs libonnx-dev and "
      "libprotobuf-dev when glia is built)");
#endif
}

}  // namespace

Command add_export_command(CLI::App& app) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = app.add_subcommand("export", "save a trained model as ONNX (opset 13)");
  cmd->footer(
      "The ONNX model takes float32 images {N, 3, S, S}: BGR channels, values 0-1 (pixel / 255), "
      "each scan cropped to the brain and resized to S x S as brain_tumor does (S is 240 for "
      "the seed network); it answers {N, 1}, the probability of a tumour. Batch norm uses its "
      "running statistics and dropout is off. The file is written atomically.");
  cmd->add_option("--model", options->model, "best.glia from train, or a Keras HDF5 model")
      ->required();
  cmd->add_option("--onnx", options->onnx, "the .onnx file to write")->required();
  return {cmd, [options] { return run_export(*options); }};
}

}  // namespace brain_tumor
