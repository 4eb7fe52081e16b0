/// @file
/// Loading Keras 2 HDF5 models (model.save(...) files) into glia.
///
/// Part of the optional glia::keras library, built when HDF5 (libhdf5-dev) and nlohmann-json
/// (nlohmann-json3-dev) are found: HDF5 because that is Keras' file format, and a JSON parser
/// because Keras stores the architecture as JSON text in the file's model_config attribute.
#pragma once

#include <cstdint>
#include <string>

#include "glia/io/model_file.hpp"  // is_hdf5_file
#include "glia/nn/sequential.hpp"

namespace glia::io {

/// How an untrusted file is read. libhdf5 (1.10) can crash or loop forever on a malformed file,
/// so by default it reads the file in a child process with a time limit and a memory limit (on
/// top of what this process already uses); a crash, a hang or too much memory there becomes a
/// std::runtime_error here. isolate = false reads in this process (trusted files only).
struct KerasLoadOptions {
  /// read in a child process (false: in this process, for trusted files only)
  bool isolate = true;
  /// the child is killed after this long
  double timeout_seconds = 60;
  /// address space the child may add to this process's
  int64_t memory_limit_bytes = int64_t{4} << 30;
};

/// Builds an nn::Sequential from the file's model_config and fills it from model_weights, in
/// eval mode. Supported: a Sequential model or a functional Model whose layers form one chain,
/// channels_last, with InputLayer, ZeroPadding2D, Conv2D ('valid', or 'same' with odd kernels;
/// no dilation; any supported activation), BatchNormalization (channel axis), Activation (relu,
/// sigmoid, tanh, linear), MaxPooling2D ('valid'), Flatten, Dense (any supported activation),
/// Dropout. Layouts are converted: conv kernels HWIO -> OIHW; a Dense after Flatten has its input
/// reordered from Keras' (H, W, C) flattening to glia's (C, H, W).
/// Anything else (a layer, an option, a data format) throws std::runtime_error naming it and the
/// file; so do unreadable files and weights of the wrong shape.
/// Every field of the JSON and every weight's shape is checked before use; sizes are bounded.
nn::Sequential load_keras_h5(const std::string& path, const KerasLoadOptions& options = {});

}  // namespace glia::io
