// What export.cpp and import.cpp share: the protobuf classes, the opset glia writes, and the
// limits an untrusted file is held to.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>

namespace glia::io::onnx_detail {

namespace pb = ::onnx;

constexpr int64_t kOpset = 13;           // what save_onnx writes
constexpr int64_t kMinOpset = 7;         // what load_onnx reads: the operators' semantics used here
constexpr int64_t kMaxOpset = 17;        // are the same across these versions
constexpr int64_t kIrVersion = 7;        // ONNX 1.8, the first to know opset 13
constexpr int64_t kMaxExtent = 1 << 20;  // kernel sizes, strides, paddings, channels
constexpr int kMaxDepth = 64;            // nested residual blocks and averages
constexpr size_t kMaxBranches = 64;      // branches from one tensor (an Average's models)

}  // namespace glia::io::onnx_detail
