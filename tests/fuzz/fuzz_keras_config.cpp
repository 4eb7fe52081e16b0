// libFuzzer target: the Keras model builder, on the weights of a valid file
// (tests/data/keras_small.h5, read once) and the fuzzer's bytes as its model_config JSON.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "io/keras/keras_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const glia::io::keras::KerasFile valid =
      glia::io::keras::read_keras_file(GLIA_FUZZ_KERAS_FILE);
  glia::io::keras::KerasFile file = valid;
  file.model_config.assign(reinterpret_cast<const char*>(data), size);
  try {
    glia::io::keras::build_keras_model(file, "fuzz.h5");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
