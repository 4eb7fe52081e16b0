// Keras HDF5 import (glia::keras) on files written by tests/golden/make_keras_golden.py.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <glia/io/keras_h5.hpp>

#include "io/keras/keras_file.hpp"  // the reader and the builder, apart

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

// ---- untrusted files: the model_config and the weights of a valid file, altered --------------

namespace {

using io::keras::KerasFile;

KerasFile small_file() {
  return io::keras::read_keras_file(data_file("keras_small.h5"));
}

// The file's model_config with `from` replaced by `to` (once).
KerasFile altered(const std::string& from, const std::string& to) {
  KerasFile file = small_file();
  const size_t at = file.model_config.find(from);
  REQUIRE(at != std::string::npos);
  file.model_config.replace(at, from.size(), to);
  return file;
}

std::string build_error(const KerasFile& file) {
  try {
    io::keras::build_keras_model(file, "bad.h5");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("keras: a layer with empty inbound_nodes is an error, not a crash",
          "[keras][regression]") {
  // Indexing [[[]]] crashed a Release build (SIGSEGV) in chain_of_layers.
  const std::string error = build_error(
      altered(R"("inbound_nodes": [[["pad", 0, 0, {}]]])", R"("inbound_nodes": [[[]]])"));
  CHECK_THAT(error, Contains("bad.h5") && Contains("conv_a") && Contains("not fed by"));
  for (const char* nodes : {R"([])", R"([[]])", R"({})", R"("pad")", R"([[[7]]])", R"(null)"}) {
    INFO(nodes);
    CHECK_THAT(build_error(altered(R"([[["pad", 0, 0, {}]]])", nodes)), Contains("conv_a"));
  }
}

TEST_CASE("keras: weights of the wrong rank or shape are refused before use",
          "[keras][regression]") {
  // A Conv2D reading a Dense layer's rank-2 kernel read past the end of its shape (ASan).
  KerasFile file = small_file();
  file.weights["conv_a"]["kernel"] = file.weights.at("fc2").at("kernel");
  CHECK_THAT(build_error(file),
             Contains("conv_a") && Contains("kernel") && Contains("(3, 3, 3, 4)"));

  file = small_file();
  file.weights["fc1"]["kernel"].shape = {2, 3, 5};
  CHECK_THAT(build_error(file), Contains("fc1") && Contains("(2, 3, 5)"));

  file = small_file();
  file.weights["bn"]["moving_variance"].values.pop_back();
  file.weights["bn"]["moving_variance"].shape = {3};
  CHECK_THAT(build_error(file), Contains("bn") && Contains("moving_variance"));

  file = small_file();
  file.weights.erase("conv_b");
  CHECK_THAT(build_error(file), Contains("conv_b") && Contains("no 'kernel' weights"));
}

TEST_CASE("keras: fields of the wrong type or out of range name the layer and the field",
          "[keras][errors]") {
  struct Case {
    const char* from;
    const char* to;
    const char* expected;
  };
  const Case cases[] = {
      {R"("filters": 4)", R"("filters": "4")", "'filters'"},
      {R"("filters": 4)", R"("filters": -4)", "'filters'"},
      {R"("kernel_size": [3, 3], "strides": [1, 1], "padding": "valid")",
       R"("kernel_size": [3], "strides": [1, 1], "padding": "valid")", "kernel_size"},
      {R"("kernel_size": [3, 3], "strides": [1, 1], "padding": "valid")",
       R"("kernel_size": [1000000000000, 3], "strides": [1, 1], "padding": "valid")",
       "kernel_size"},
      {R"("padding": [[1, 2], [2, 1]])", R"("padding": [[1, 2], [2, -1]])", "padding"},
      {R"("padding": [[1, 2], [2, 1]])", R"("padding": "same")", "padding"},
      {R"([null, 13, 11, 3])", R"([null, 13, 11])", "input shape"},
      {R"([null, 13, 11, 3])", R"([null, 13, 11, 0])", "channels"},
      {R"([null, 13, 11, 3])", R"([null, 99999999, 99999999, 3])", "height"},
      {R"("units": 6)", R"("units": 6.5)", "units"},
      {R"("rate": 0.25)", R"("rate": 7)", "rate"},
      {R"("use_bias": true, "name": "fc1")", R"("use_bias": 1, "name": "fc1")", "use_bias"},
      {R"("class_name": "Model")", R"("class_name": 3)", "class_name"},
      {R"("pool_size": [2, 2])", R"("pool_size": [0, 0])", "pool_size"},
      {R"("epsilon": 0.001)", R"("epsilon": "x")", "epsilon"},
  };
  for (const Case& c : cases) {
    INFO(c.to);
    const std::string error = build_error(altered(c.from, c.to));
    CHECK_THAT(error, Contains("bad.h5") && Contains(c.expected));
  }
  KerasFile file = small_file();
  file.model_config = "{\"class_name\": \"Model\", \"config\": {\"layers\": 5}}";
  CHECK_THAT(build_error(file), Contains("'layers' is not a list"));
  file.model_config = "[1, 2]";
  CHECK_THAT(build_error(file), Contains("class_name"));
  file.model_config = "{not json";
  CHECK_THAT(build_error(file), Contains("not valid JSON"));
}

TEST_CASE("keras: a reader that crashes, hangs or answers too much becomes an error",
          "[keras][regression]") {
  // What libhdf5 1.10 does on some malformed files (SIGSEGV in H5HG_read, a loop in
  // H5C_protect); the isolated reader must turn each into an error naming the file.
  io::IsolationLimits limits;
  limits.timeout_seconds = 1;
  CHECK_THROWS_WITH(io::run_isolated(
                        []() -> std::string {
                          std::raise(SIGSEGV);
                          return "";
                        },
                        limits, "x.h5", "libhdf5"),
                    Contains("'x.h5'") && Contains("crashed"));
  CHECK_THROWS_WITH(io::run_isolated(
                        []() -> std::string {
                          for (;;) pause();
                        },
                        limits, "slow.h5", "libhdf5"),
                    Contains("'slow.h5'") && Contains("within 1 s"));
  limits.max_answer_bytes = 10;
  CHECK_THROWS_WITH(
      io::run_isolated([] { return std::string(1000, 'x'); }, limits, "big.h5", "libhdf5"),
      Contains("more than the file may hold"));
  limits.max_answer_bytes = 1000;
  CHECK_THROWS_WITH(
      io::run_isolated([]() -> std::string { throw std::runtime_error("its own error"); }, limits,
                       "e.h5", "libhdf5"),
      Contains("its own error"));
  CHECK(io::run_isolated([] { return std::string("fine"); }, limits, "ok.h5", "libhdf5") == "fine");

  // The isolated and the in-process readers agree.
  const KerasFile a = small_file();
  const KerasFile b = io::keras::read_keras_file_isolated(data_file("keras_small.h5"), {});
  CHECK(a.model_config == b.model_config);
  REQUIRE(a.weights.size() == b.weights.size());
  for (const auto& [layer, weights] : a.weights) {
    for (const auto& [key, w] : weights) {
      CHECK(b.weights.at(layer).at(key).shape == w.shape);
      CHECK(b.weights.at(layer).at(key).values == w.values);
    }
  }
}
