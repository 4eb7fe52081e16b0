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
#include <typeinfo>
#include <utility>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/module.hpp"
#include "glia/nn/pooling.hpp"

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

  /// Each layer after the first owns its input (nobody else sees it), so layers that can work
  /// in place do. A ReLU followed by a MaxPool2d runs after it instead: for finite inputs
  /// max_pool(relu(x)) == relu(max_pool(x)), values and gradients bit for bit (relu is monotone,
  /// and a window's first maximum is the same element either way, or gets a zero gradient
  /// both ways), and relu then touches 1/k^2 of the elements.
  Tensor forward(const Tensor& x) override {
    if (size() == 0) return x;
    // The caller keeps x: the first layer to read it must not write into it.
    if (relu_then_max_pool(0)) {
      return forward_from(2, child(0)->forward_owned(child(1)->forward(x)));
    }
    return forward_from(1, child(0)->forward(x));
  }
  Tensor forward_owned(Tensor x) override { return forward_from(0, std::move(x)); }
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
  Tensor forward_from(size_t first, Tensor h) const {
    for (size_t i = first; i < size(); ++i) {
      if (relu_then_max_pool(i)) {
        h = child(i)->forward_owned(child(i + 1)->forward_owned(std::move(h)));
        ++i;
      } else {
        h = child(i)->forward_owned(std::move(h));
      }
    }
    return h;
  }
  /// Exact types: a subclass may compute something else.
  bool relu_then_max_pool(size_t i) const {
    if (i + 1 >= size()) return false;
    const Module& first = *child(i);
    const Module& second = *child(i + 1);
    return typeid(first) == typeid(ReLU) && typeid(second) == typeid(MaxPool2d);
  }

  Shape example_shape_;
};

}  // namespace glia::nn
