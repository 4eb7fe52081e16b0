/// @file
/// load_model_file: a model from any file glia reads, whatever its format (io/model_file.hpp).
///
/// Header-only, so that it reaches the optional components the program links: Keras files need
/// glia::keras and ONNX files glia::onnx (linking them defines GLIA_HAS_KERAS / GLIA_HAS_ONNX);
/// without them such a file is a clear error, not a misread.
#pragma once

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "glia/io/checkpoint.hpp"
#include "glia/io/model_file.hpp"
#include "glia/nn/sequential.hpp"
#ifdef GLIA_HAS_KERAS
#include "glia/io/keras_h5.hpp"
#endif
#ifdef GLIA_HAS_ONNX
#include "glia/io/onnx.hpp"
#endif

namespace glia::io {

/// A glia checkpoint that records its architecture (load_model), a Keras HDF5 model
/// (load_keras_h5) or an ONNX model (load_onnx), told apart by content; throws
/// std::runtime_error naming the file when it is none of them, is missing, or needs a component
/// this program does not link.
inline std::shared_ptr<nn::Module> load_model_file(const std::string& path) {
  switch (model_format(path)) {
    case ModelFormat::glia:
      return load_model(path);
    case ModelFormat::keras_h5:
#ifdef GLIA_HAS_KERAS
      return std::make_shared<nn::Sequential>(load_keras_h5(path));
#else
      throw std::runtime_error("cannot load '" + path +
                               "': a Keras HDF5 model, and this program "
                               "was built without glia::keras (libhdf5-dev)");
#endif
    case ModelFormat::onnx:
#ifdef GLIA_HAS_ONNX
      return std::make_shared<nn::Sequential>(load_onnx(path));
#else
      throw std::runtime_error("cannot load '" + path +
                               "': an ONNX model, and this program was "
                               "built without glia::onnx (libonnx-dev)");
#endif
    default:
      throw std::runtime_error(
          "cannot load model '" + path + "': " +
          (std::ifstream(path) ? "neither a glia checkpoint, a Keras HDF5 file nor a .onnx file"
                               : "file not found"));
  }
}

}  // namespace glia::io
