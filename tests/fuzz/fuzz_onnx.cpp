// libFuzzer target: the ONNX importer (protobuf parsing, constant folding, the graph walk and
// every layer's checks). Any input must give a model or a std::runtime_error, nothing else.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <glia/io/onnx.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    glia::nn::Sequential model =
        glia::io::parse_onnx(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    (void)model;
  } catch (const std::runtime_error&) {
  }
  return 0;
}
