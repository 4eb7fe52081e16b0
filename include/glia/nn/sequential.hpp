/// @file
/// Sequential: layers applied in order. Its children are named "0", "1", ..., so state names
/// are "<index>.<name>" ("1.weight").
///
/// Like Keras' Sequential it may know the shape of one example (without the batch axis), which
/// summary() then uses:  nn::Sequential net({3, 240, 240});
#pragma once

#include <iostream>
#include <memory>
#include <type_traits>
#include <utility>

#include "glia/nn/module.hpp"

namespace glia::nn {

/// Layers applied one after another.
class Sequential : public Cloneable<Sequential> {
 public:
  Sequential() = default;
  /// `example_shape`: one input's shape without the batch axis, e.g. {3, 240, 240}.
  explicit Sequential(Shape example_shape) : example_shape_(std::move(example_shape)) {
    for (int64_t e : example_shape_) {
      check_arg(e > 0, "Sequential", "input shape ", shape_str(example_shape_),
                " must have positive extents");
    }
  }

  /// Takes a layer by value: a temporary is moved in (net.add(nn::ReLU())), a named one is
  /// copied, deeply (net.add(block): training net leaves block as it was).
  template <class Layer, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Layer>>>>
  Sequential& add(Layer&& layer) {
    return add(std::make_shared<std::decay_t<Layer>>(std::forward<Layer>(layer)));
  }
  /// Appends a layer, shared with whoever else holds it (not copied), and returns this
  /// container, for chaining.
  Sequential& add(std::shared_ptr<Module> layer) {
    check_arg(layer != nullptr, "Sequential::add", "null layer");
    register_module(std::to_string(size()), std::move(layer));
    return *this;
  }

  /// Removes and returns the last layer (e.g. a final Sigmoid, to get logits).
  std::shared_ptr<Module> pop_back() {
    check_arg(size() > 0, "Sequential::pop_back", "no layers");
    return unregister_last_module();
  }

  /// The number of layers.
  size_t size() const { return named_children().size(); }
  /// Layer i; throws std::invalid_argument past the end.
  Module& operator[](size_t i) const { return *layer(i); }
  /// Layer i, shared; throws std::invalid_argument past the end.
  std::shared_ptr<Module> layer(size_t i) const {
    check_arg(i < size(), "Sequential", "layer ", i, " out of range (", size(), " layers)");
    return child(i);
  }
  /// The layer at i as its concrete type, or nullptr if it is another type.
  template <class Layer>
  Layer* layer_as(size_t i) const {
    return dynamic_cast<Layer*>(&(*this)[i]);
  }

  /// The shape of one example given at construction (empty if none was).
  const Shape& example_shape() const { return example_shape_; }

  Tensor forward(const Tensor& x) override {
    Tensor h = x;
    for (const NamedModule& layer : named_children()) h = layer.module->forward(h);
    return h;
  }
  Shape output_shape(const Shape& in) const override {
    Shape s = in;
    for (const NamedModule& layer : named_children()) s = layer.module->output_shape(s);
    return s;
  }
  std::string type_name() const override { return "Sequential"; }

  /// summary() with the batch axis shown as None; without an input shape, the one given at
  /// construction (batch 1) is used.
  void summary(std::ostream& out = std::cout, const Shape& input = {}) const {
    Shape shape = input;
    if (shape.empty() && !example_shape_.empty()) {
      shape = {1};
      shape.insert(shape.end(), example_shape_.begin(), example_shape_.end());
    }
    Module::summary(out, shape);
  }

 protected:
  bool children_form_a_chain() const override { return true; }

 private:
  Shape example_shape_;
};

}  // namespace glia::nn
