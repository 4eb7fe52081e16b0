// read_keras_file in a child process (io/isolated_call.hpp): libhdf5 1.10 crashes (SIGSEGV in
// H5HG_read) and hangs (H5C_protect) on some malformed files, and a library cannot fix that
// from outside. The contents come back through a pipe, checked again here.

#include <algorithm>
#include <cstring>
#include <vector>

#include "../isolated_answer.hpp"
#include "glia/io/isolated_call.hpp"
#include "keras_file.hpp"

namespace glia::io::keras {
namespace {

// ---- the message: status, then the contents or an error text -------------------------------

using detail::put_floats;
using detail::put_text;
using detail::put_u64;

std::string encode(const KerasFile& file) {
  std::string out;
  put_text(out, file.model_config);
  put_u64(out, file.weights.size());
  for (const auto& [layer, weights] : file.weights) {
    put_text(out, layer);
    put_u64(out, weights.size());
    for (const auto& [key, w] : weights) {
      put_text(out, key);
      put_u64(out, w.shape.size());
      for (int64_t d : w.shape) put_u64(out, static_cast<uint64_t>(d));
      put_floats(out, w.values);
    }
  }
  return out;
}

KerasFile decode(const std::string& bytes, const std::string& path, const ReadLimits& limits) {
  // Every count checked against what is left and against the limits.
  detail::AnswerReader in(bytes, path, "the HDF5 reader sent a malformed answer", fail);
  KerasFile file;
  file.model_config = in.text(limits.max_config_bytes);
  const uint64_t layers = in.u64();
  if (layers > limits.max_layers) in.bad();
  int64_t budget = limits.max_values;
  for (uint64_t l = 0; l < layers; ++l) {
    auto& weights = file.weights[in.text(4096)];
    const uint64_t count = in.u64();
    if (count > 64) in.bad();
    for (uint64_t i = 0; i < count; ++i) {
      Weight& w = weights[in.text(4096)];
      const uint64_t rank = in.u64();
      if (rank > 8) in.bad();
      for (uint64_t r = 0; r < rank; ++r) {
        const uint64_t d = in.u64();
        if (d > static_cast<uint64_t>(budget)) in.bad();
        w.shape.push_back(static_cast<int64_t>(d));
      }
      const int64_t numel = shape_numel_within(w.shape, budget);
      if (numel < 0) in.bad();
      if (in.u64() != static_cast<uint64_t>(numel)) in.bad();
      budget -= numel;
      in.floats(w.values, static_cast<uint64_t>(numel));
    }
  }
  if (!in.done()) in.bad();
  return file;
}

}  // namespace

KerasFile read_keras_file_isolated(const std::string& path, const IsolationLimits& child,
                                   const ReadLimits& limits) {
  IsolationLimits bounded = child;
  // The answer can be no larger than the limits allow (plus names and counts).
  bounded.max_answer_bytes = std::min(
      child.max_answer_bytes, static_cast<size_t>(limits.max_values) * sizeof(float) +
                                  limits.max_config_bytes + limits.max_layers * 64 * 256 + 4096);
  return decode(
      run_isolated([&] { return encode(read_keras_file(path, limits)); }, bounded, path, "libhdf5"),
      path, limits);
}

}  // namespace glia::io::keras
