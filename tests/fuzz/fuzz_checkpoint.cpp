// libFuzzer target: glia's checkpoint parser and the architecture a checkpoint records.
// Any input must give a Checkpoint or a std::runtime_error / std::invalid_argument, nothing else.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <glia/io/checkpoint.hpp>
#include <glia/nn/architecture.hpp>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const glia::io::Checkpoint checkpoint = glia::io::parse_checkpoint(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
    const std::string architecture = glia::io::architecture_of(checkpoint);
    if (!architecture.empty()) {
      int64_t parameters = 0;
      for (const auto& t : checkpoint.tensors) parameters += t.tensor.numel();
      glia::nn::build_architecture(architecture, parameters);
    }
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
