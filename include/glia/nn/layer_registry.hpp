/// @file
/// One description per layer type: its name, its attributes, how it is built from them, its
/// children (for containers) and its ONNX mapping, declared together in one place. Whatever
/// needs to know layer types reads this registry: the architecture a checkpoint carries
/// (nn/architecture.hpp), ONNX export and import (io/onnx.hpp), batch-norm folding
/// (nn/fold.hpp) and synchronised batch statistics (glia::dist). glia's own layers are
/// registered in src/nn/builtin_layers.cpp; a layer of yours registers itself the same way:
///
///   nn::LayerType square;
///   square.name = "Square";
///   square.build = [](const nn::Attributes&, nn::Children) { return std::make_shared<Square>(); };
///   nn::register_layer<Square>(square);
///
/// after which a model holding a Square saves its architecture, loads back without its code,
/// and (with .to_onnx) exports to ONNX. docs/architecture.md walks through adding a layer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <typeindex>
#include <utility>
#include <variant>
#include <vector>

#include "glia/nn/module.hpp"
#include "glia/nn/onnx_mapping.hpp"
#include "glia/ops/batch_norm.hpp"

namespace glia::nn {

/// A layer's settings as named values, in the order the layer declares them: what an
/// architecture description stores beside the type name. Readers check presence, type and
/// range and throw std::invalid_argument naming the attribute: descriptions are untrusted.
class Attributes {
 public:
  /// One attribute's value: a whole number, a real number, a flag or a list of whole numbers.
  using Value = std::variant<int64_t, double, bool, std::vector<int64_t>>;

  /// Adds (or replaces) an attribute; returns this, for chaining.
  Attributes& set(const std::string& name, Value value);
  /// The attributes in order.
  const std::vector<std::pair<std::string, Value>>& items() const { return items_; }
  /// True when the attribute is present.
  bool has(const std::string& name) const { return find(name) != nullptr; }

  ///@{
  /// The attribute, checked to be of its type and within [min, max]; throws
  /// std::invalid_argument naming it when absent (without a fallback), mistyped or out of range.
  int64_t integer(const std::string& name, int64_t min, int64_t max) const;
  int64_t integer(const std::string& name, int64_t min, int64_t max, int64_t fallback) const;
  double real(const std::string& name, double min, double max) const;
  double real(const std::string& name, double min, double max, double fallback) const;
  bool flag(const std::string& name, bool fallback) const;
  std::vector<int64_t> integers(const std::string& name, int64_t min, int64_t max,
                                size_t max_count) const;
  ///@}

 private:
  const Value* find(const std::string& name) const;
  std::vector<std::pair<std::string, Value>> items_;
};

/// Where a container keeps its children in a description: Sequential's list "layers",
/// Residual's "body" and optional "shortcut".
struct ChildSlot {
  /// How many children the slot holds.
  enum class Count { one, optional, list };
  std::string name;          ///< the key in the description
  Count count = Count::one;  ///< one, zero or one, or any number
};

/// A container's children, one list per ChildSlot, in the slots' order.
using Children = std::vector<std::vector<std::shared_ptr<Module>>>;

/// Everything glia needs to know about one layer type. Only `name`, `type` and `build` are
/// required; the rest default to "none" (no attributes, no children, no ONNX mapping).
struct LayerType {
  /// The type's name in descriptions and ONNX node names, e.g. "Conv2d".
  std::string name;
  /// The exact C++ type (a subclass of a layer may compute something else: it is not this one).
  std::type_index type = typeid(void);
  /// Attribute names, in order (for the documentation and error messages).
  std::vector<std::string> attribute_names;
  /// A container's child slots; empty for a plain layer.
  std::vector<ChildSlot> slots;
  /// The module's attributes (as build() reads them back).
  std::function<Attributes(const Module&)> attributes;
  /// A container's children by slot.
  std::function<Children(const Module&)> children;
  /// The shapes of the parameters and buffers build() would allocate for these attributes, so
  /// that a file's description is held to the floats the file holds before anything is
  /// allocated (none when absent).
  std::function<std::vector<Shape>(const Attributes&)> tensor_shapes;
  /// A new module from attributes and children (fresh parameters: a checkpoint's weights are
  /// loaded next). Throws std::invalid_argument on bad attributes.
  std::function<std::shared_ptr<Module>(const Attributes&, Children)> build;
  /// Writes the ONNX nodes computing the module (glia::onnx calls it); see onnx_mapping.hpp.
  std::function<std::string(const Module&, OnnxGraphWriter&, const OnnxSite&)> to_onnx;
  /// The ONNX operators this type reads back, and how (for a plain layer).
  std::vector<std::string> onnx_ops;
  /// Reads one ONNX node of an operator in onnx_ops into layers (usually one).
  std::function<std::vector<std::shared_ptr<Module>>(OnnxNodeReader&)> from_onnx;
  /// For layers with batch statistics: makes them synchronise across replicas (glia::dist).
  std::function<void(Module&, BatchStatsReducer)> set_stats_reducer;
};

/// Registers a layer type (thread-safe). Throws std::invalid_argument if the name or the C++
/// type is taken, an ONNX operator is claimed twice, or `build` is missing.
void register_layer(LayerType type);
/// register_layer() with `type` set to T.
template <class T>
void register_layer(LayerType type) {
  type.type = typeid(T);
  register_layer(std::move(type));
}

namespace detail {
/// register_layer for glia's own layers (src/nn/builtin_layers.cpp), while the registry fills.
void add_builtin_layer(LayerType type);
/// Registers glia's own layers (src/nn/builtin_layers.cpp); called once, on first use.
void register_builtin_layers();
}  // namespace detail

///@{
/// The type of a module (by its exact C++ type), of a name, or of an ONNX operator; null when
/// none is registered.
const LayerType* find_layer_type(const Module& module);
const LayerType* find_layer_type(const std::string& name);
const LayerType* find_onnx_operator(const std::string& op);
///@}
/// Every registered type, glia's own first.
std::vector<const LayerType*> layer_types();

}  // namespace glia::nn
