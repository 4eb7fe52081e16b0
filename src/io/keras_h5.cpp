// Keras 2 HDF5 import: the file is read (src/io/keras/hdf5_reader.cpp), by default in a child
// process (isolated_read.cpp), and the model built from its contents (model_builder.cpp).
#include "glia/io/keras_h5.hpp"

#include <cstring>
#include <fstream>

#include "keras/keras_file.hpp"

namespace glia::io {

namespace keras {
void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("glia::io::load_keras_h5: '" + path + "': " + what);
}
}  // namespace keras

nn::Sequential load_keras_h5(const std::string& path, const KerasLoadOptions& options) {
  if (!std::ifstream(path)) keras::fail(path, "cannot open the file");
  if (!is_hdf5_file(path)) keras::fail(path, "not an HDF5 file");
  const keras::KerasFile file =
      options.isolate ? keras::read_keras_file_isolated(
                            path, {options.timeout_seconds, options.memory_limit_bytes})
                      : keras::read_keras_file(path);
  return keras::build_keras_model(file, path);
}

}  // namespace glia::io
