// Keras HDF5 import (glia::keras) on files written by tests/golden/make_keras_golden.py.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <glia/io/keras_h5.hpp>

#include "golden_file.hpp"

using namespace glia;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {
std::string data_file(const char* name) {
  return std::string(GLIA_TEST_DATA_DIR) + "/" + name;
}
}  // namespace

TEST_CASE("keras: a model with a layer of each supported kind matches its expected outputs") {
  nn::Sequential net = io::load_keras_h5(data_file("keras_small.h5"));
  CHECK_FALSE(net.is_training());
  auto g = testing::load_golden("keras_small_expected.txt");
  NoGradGuard no_grad;
  testing::require_close(net.forward(g.at("x_nchw")), g.at("y"), 1e-5, 1e-4);
  // Layer types after import: the activations become layers of their own.
  std::string types;
  for (size_t i = 0; i < net.size(); ++i) types += net[i].type_name() + " ";
  CHECK(
      types ==
      "ZeroPad2d Conv2d ReLU BatchNorm2d MaxPool2d Conv2d Sigmoid ReLU Dropout Flatten Dense ReLU "
      "Dense Sigmoid ");
}

TEST_CASE("keras: unsupported layers, options and broken files give errors that name them") {
  CHECK_THROWS_WITH(
      io::load_keras_h5(data_file("keras_unsupported_layer.h5")),
      Contains("keras_unsupported_layer.h5") && Contains("upsample") && Contains("UpSampling2D"));
  CHECK_THROWS_WITH(io::load_keras_h5(data_file("keras_channels_first.h5")),
                    Contains("conv_a") && Contains("channels_first"));
  CHECK_THROWS_WITH(io::load_keras_h5(data_file("no_such_model.h5")), Contains("cannot open"));
  CHECK_THROWS_WITH(io::load_keras_h5(data_file("bce.txt")), Contains("not an HDF5 file"));

  const fs::path dir = fs::temp_directory_path() / ("glia_keras_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string bytes = [] {
    std::ifstream in(data_file("keras_small.h5"), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const std::string truncated = (dir / "truncated.h5").string();
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_WITH(io::load_keras_h5(truncated), Contains("truncated.h5"));
  CHECK(io::is_hdf5_file(truncated));
  CHECK_FALSE(io::is_hdf5_file(data_file("bce.txt")));
  fs::remove_all(dir);
}
