/// @file
/// How a layer type maps to ONNX, in glia's terms (no protobuf here): a layer writes its nodes
/// through an OnnxGraphWriter and reads one node back through an OnnxNodeReader. glia::onnx
/// (io/onnx.hpp) implements both over the ONNX protobuf classes; the layer registry
/// (nn/layer_registry.hpp) holds each type's mapping.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia::nn {

class Module;

/// An ONNX node attribute: INT, FLOAT, STRING or INTS.
using OnnxAttribute = std::variant<int64_t, float, std::string, std::vector<int64_t>>;
/// A node's attributes, in order.
using OnnxAttributes = std::vector<std::pair<std::string, OnnxAttribute>>;

/// Where a module is exported: its path in the model ("3.body.0", "" for the whole model), the
/// name of its input tensor and that input's shape (batch axis first, as 1).
struct OnnxSite {
  std::string path;   ///< the module's name in the model
  std::string input;  ///< the ONNX tensor it reads
  Shape shape;        ///< that tensor's shape
};

/// The graph an export writes into (implemented by glia::onnx).
class OnnxGraphWriter {
 public:
  virtual ~OnnxGraphWriter() = default;
  /// Appends a node `op` named after `site.path` reading `inputs`; returns its output's name.
  virtual std::string node(const std::string& op, const OnnxSite& site,
                           const std::vector<std::string>& inputs,
                           const OnnxAttributes& attributes = {}) = 0;
  ///@{
  /// Adds a constant (an initializer) named `name` and returns the name: a float tensor, a list
  /// of int64, or one float.
  virtual std::string constant(const std::string& name, const Tensor& value) = 0;
  virtual std::string constant(const std::string& name, const std::vector<int64_t>& values) = 0;
  virtual std::string scalar(const std::string& name, float value) = 0;
  ///@}
  /// Exports a child module reading `input` of `shape` (containers call it); returns the name of
  /// its output tensor.
  virtual std::string module(const Module& child, const std::string& path,
                             const std::string& input, const Shape& shape) = 0;
};

/// A constant input of an ONNX node: its shape and values (floats or int64, as stored).
struct OnnxConstant {
  Shape shape;                ///< extents
  bool is_float = true;       ///< which of the two lists holds the values
  std::vector<float> floats;  ///< the values of a float tensor
  std::vector<int64_t> ints;  ///< the values of an integer tensor
  /// The number of values.
  int64_t numel() const {
    return is_float ? static_cast<int64_t>(floats.size()) : static_cast<int64_t>(ints.size());
  }
};

/// One node of an untrusted ONNX graph, as a layer's from_onnx reads it (implemented by
/// glia::onnx). Every attribute is read at most once, with its type, and done() refuses any the
/// layer did not read (an option glia would otherwise ignore silently). Every failure throws,
/// naming the node.
class OnnxNodeReader {
 public:
  virtual ~OnnxNodeReader() = default;
  /// The operator, e.g. "Conv".
  virtual const std::string& op() const = 0;
  /// "'name' (Op)", for messages.
  virtual std::string describe() const = 0;
  /// The model's ONNX operator set.
  virtual int64_t opset() const = 0;
  /// Checks that the node has min to max inputs, all but the first constants.
  virtual void inputs(int min, int max) const = 0;
  /// True when input i is given (present and not empty).
  virtual bool has_input(int i) const = 0;
  /// The rank of the first (data) input, or -1 when the graph does not say.
  virtual int input_rank() const = 0;
  ///@{
  /// An attribute of that type, or the fallback when the node does not set it.
  virtual int64_t integer(const char* name, int64_t fallback) = 0;
  virtual float real(const char* name, float fallback) = 0;
  virtual std::string text(const char* name, const std::string& fallback) = 0;
  virtual std::vector<int64_t> ints(const char* name, std::vector<int64_t> fallback) = 0;
  ///@}
  /// Fails on any attribute not read so far.
  virtual void done() = 0;
  ///@{
  /// Constant input i: any type, or floats only.
  virtual const OnnxConstant& constant(int i) const = 0;
  virtual const OnnxConstant& weights(int i) const = 0;
  ///@}
  /// Throws the importer's error: "node 'name' (Op): <what>".
  [[noreturn]] virtual void fail(const std::string& what) const = 0;
  /// fail(concat(parts...)) unless `condition` holds (the message is made only on failure).
  template <class... Parts>
  void expect(bool condition, Parts&&... parts) const {
    if (!condition) fail(concat(std::forward<Parts>(parts)...));
  }
};

}  // namespace glia::nn
