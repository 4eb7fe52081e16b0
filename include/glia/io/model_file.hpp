/// @file
/// What kind of model file a path holds, told by its content where the format has a signature:
/// a glia checkpoint (its magic), a Keras HDF5 model (HDF5's signature), or an ONNX model
/// (protobuf has no signature: a name ending in .onnx). io/load_model_file.hpp loads any of them.
#pragma once

#include <string>

namespace glia::io {

/// The model formats glia reads.
enum class ModelFormat { glia, keras_h5, onnx, unknown };

/// True when the file starts with the HDF5 signature.
bool is_hdf5_file(const std::string& path);

/// The file's format: unknown for a missing file or anything else.
ModelFormat model_format(const std::string& path);

/// "glia checkpoint", "Keras HDF5", "ONNX" or "unknown".
const char* format_name(ModelFormat format);

}  // namespace glia::io
