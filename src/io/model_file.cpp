// Model files told apart by their content (io/model_file.hpp).
#include "glia/io/model_file.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>

#include "glia/io/checkpoint.hpp"

namespace glia::io {

bool is_hdf5_file(const std::string& path) {
  static const char signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::memcmp(head, signature, 8) == 0;
}

ModelFormat model_format(const std::string& path) {
  if (!std::ifstream(path)) return ModelFormat::unknown;
  if (is_checkpoint_file(path)) return ModelFormat::glia;
  if (is_hdf5_file(path)) return ModelFormat::keras_h5;
  std::string name = path.size() >= 5 ? path.substr(path.size() - 5) : std::string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name == ".onnx" ? ModelFormat::onnx : ModelFormat::unknown;
}

const char* format_name(ModelFormat format) {
  switch (format) {
    case ModelFormat::glia:
      return "glia checkpoint";
    case ModelFormat::keras_h5:
      return "Keras HDF5";
    case ModelFormat::onnx:
      return "ONNX";
    default:
      return "unknown";
  }
}

}  // namespace glia::io
