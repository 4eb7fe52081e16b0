// The constants of an ONNX graph (initializers, Constant nodes, and what a few shape operators
// compute from them), decoded from the untrusted file and checked.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "glia/nn/onnx_mapping.hpp"
#include "glia/support/check.hpp"
#include "glia/tensor/shape.hpp"
#include "proto.hpp"

namespace glia::io::onnx_detail {

// An error in the file: load_onnx adds the file's name.
struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw FileError(concat(std::forward<Parts>(parts)...));
}
template <class... Parts>
void expect(bool ok, Parts&&... parts) {
  if (!ok) fail(std::forward<Parts>(parts)...);
}

// A constant input, as layers read it (nn/onnx_mapping.hpp): floats (FLOAT tensors) or ints
// (INT64 and BOOL tensors).
using Constant = nn::OnnxConstant;

// A TensorProto's values; throws FileError naming `name` when its data do not match its shape
// or its type is not FLOAT, INT64 or BOOL.
Constant decode(const pb::TensorProto& t, const std::string& name);

// True for the operators fold() evaluates: the shape arithmetic exporters write around padding
// (torch.onnx computes Pad's pads with ConstantOfShape, Concat, Reshape, Slice, Transpose, Cast).
bool can_fold(const std::string& op);

// The node's one output from its constant inputs (nullptr for an empty optional input).
// Throws FileError for anything outside the small cases it knows; results are bounded in size.
Constant fold(const pb::NodeProto& node, const std::vector<const Constant*>& inputs);

}  // namespace glia::io::onnx_detail
