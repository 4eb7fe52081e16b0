/// @file
/// ONNX export and import (opset 13), so that a model trained in glia runs in any ONNX runtime
/// (OpenCV's dnn, onnxruntime, ...) and a CNN trained elsewhere (torch.onnx.export) runs in glia.
///
/// Part of the optional glia::onnx library, built when Debian's libonnx-dev and libprotobuf-dev
/// are found: ONNX files are protobuf messages, and libonnx ships the generated message classes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "glia/nn/sequential.hpp"
#include "glia/tensor/shape.hpp"

namespace glia::io {

/// Writes `model` as an ONNX model (opset 13) for inputs of shape {N, input_shape...}, N left
/// symbolic ("N"). The graph computes the model in eval mode: batch norm with its running
/// statistics, dropout as the identity. Supported: Sequential, Residual and ZeroPad2d, Conv2d,
/// BatchNorm2d, ReLU, LeakyReLU, Tanh, Sigmoid, MaxPool2d, AvgPool2d, GlobalAvgPool2d, Flatten,
/// Dense, Dropout. Any other module throws std::invalid_argument naming it and its place in the
/// model; nothing is written then. The file is written atomically (temporary file, then rename).
void save_onnx(const nn::Module& model, const Shape& input_shape, const std::string& path);

/// Limits on what an untrusted ONNX file may cost.
struct OnnxLoadOptions {
  /// larger files are refused before they are read
  int64_t max_file_bytes = int64_t{1} << 30;
  /// graphs with more nodes are refused
  int64_t max_nodes = 100000;
};

/// Reads an ONNX model whose graph is a chain of the operators above (as save_onnx writes them,
/// or as torch.onnx.export writes a CNN), with residual joins (an Add of two branches that fork
/// from one tensor) as nn::Residual. Opsets 7 to 17. Also accepted: Identity, Constant, Gemm
/// with any alpha/beta/transB, MatMul by a constant (with an optional Add of a constant bias),
/// asymmetric Conv pads (as ZeroPad2d + Conv2d). The model comes back in eval mode; its
/// example_shape() is the graph input's {C, H, W} when the file states it.
/// Anything else (an operator, an attribute value, a layout glia lacks) throws
/// std::runtime_error naming the file, the node and its operator; so do corrupt or truncated
/// files and weights whose size does not match their shape.
nn::Sequential load_onnx(const std::string& path, const OnnxLoadOptions& options = {});

/// load_onnx() of a file's bytes held in memory; `name` stands for the file in messages.
nn::Sequential parse_onnx(std::string_view bytes, const std::string& name,
                          const OnnxLoadOptions& options = {});

}  // namespace glia::io
