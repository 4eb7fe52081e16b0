// brain_tumor convert: the seed's Keras checkpoint in glia's format.
#include <cstdio>
#include <iostream>
#include <memory>

#include <glia/glia.hpp>
#include <glia/io/load_model_file.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "model.hpp"

namespace brain_tumor {
namespace {

struct ConvertOptions {
  std::string in, out;
};

int run_convert(const ConvertOptions& o) {
  if (glia::io::model_format(o.in) != glia::io::ModelFormat::keras_h5)
    throw DataError("'" + o.in + "' is not a Keras HDF5 file");
  glia::nn::Sequential net =
      *std::static_pointer_cast<glia::nn::Sequential>(glia::io::load_model_file(o.in));
  net.summary(std::cout, {1, 3, kImageSize, kImageSize});
  glia::save(net, o.out);
  // The saved layers must be the seed network's, or the tools could not read the file back.
  load_model(o.out);
  std::printf("wrote %s\n", o.out.c_str());
  return 0;
}

}  // namespace

Command add_convert_command(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand("convert", "save a Keras HDF5 model as a glia checkpoint");
  cmd->footer(
      "Load a Keras HDF5 model (the seed's checkpoint: conv kernels HWIO -> OIHW, dense weights "
      "reordered from channels_last flattening) and save it in glia's checkpoint format, which "
      "evaluate, predict and explain read directly.");
  cmd->add_option("model", options->in, "the Keras HDF5 model")->required();
  cmd->add_option("out", options->out, "the glia checkpoint to write")->required();
  return {cmd, [options] { return run_convert(*options); }};
}

}  // namespace brain_tumor
