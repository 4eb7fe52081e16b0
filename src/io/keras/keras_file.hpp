// The contents of a Keras 2 HDF5 model file, read apart from the model built from them, so that
// the HDF5 reading (libhdf5 crashes and hangs on some malformed files) can run in a child process
// and the builder (all of glia's own parsing) can be fuzzed without HDF5.
#pragma once

#include "glia/io/isolated_call.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "glia/nn/sequential.hpp"

namespace glia::io::keras {

struct Weight {
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major, as stored
};

struct KerasFile {
  std::string model_config;  // the JSON text of the model_config attribute
  // model_weights/<layer>/<weight name>: layer name -> short weight name ("kernel", "bias",
  // "gamma", ...) -> tensor.
  std::map<std::string, std::map<std::string, Weight>> weights;
};

// What a file may cost to read: more is refused as corrupt (a Keras file's weights are stored
// uncompressed by Keras, but HDF5 datasets may declare any size).
struct ReadLimits {
  int64_t max_values = int64_t{1} << 28;  // 1 GiB of floats over all weights
  size_t max_config_bytes = size_t{64} << 20;
  size_t max_layers = 10000;
};

// Reads the file with libhdf5 in this process. Throws std::runtime_error naming the file.
KerasFile read_keras_file(const std::string& path, const ReadLimits& limits = {});

// read_keras_file in a child process; the contents come back through a pipe and are checked
// against `limits` again.
KerasFile read_keras_file_isolated(const std::string& path, const IsolationLimits& child,
                                   const ReadLimits& limits = {});

// Builds the model from the contents; every field of the JSON and every weight's shape is
// validated before use. `path` names the file in errors.
nn::Sequential build_keras_model(const KerasFile& file, const std::string& path);

[[noreturn]] void fail(const std::string& path, const std::string& what);

}  // namespace glia::io::keras
