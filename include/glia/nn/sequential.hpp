// Sequential: layers applied in order. Its state names are "<index>.<name>" ("1.weight").
#pragma once

#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/module.hpp"
#include "glia/nn/shape_layers.hpp"

namespace glia::nn {

class Sequential : public Module {
 public:
  Sequential() = default;

  // Takes a layer by value (net.add(nn::ReLU())) or shares an existing one.
  template <class Layer, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Layer>>>>
  Sequential& add(Layer&& layer) {
    return add(std::make_shared<std::decay_t<Layer>>(std::forward<Layer>(layer)));
  }
  Sequential& add(std::shared_ptr<Module> layer) {
    check_arg(layer != nullptr, "Sequential::add", "null layer");
    layer->train(training_);
    layers_.push_back(std::move(layer));
    return *this;
  }

  // Removes and returns the last layer (e.g. a final Sigmoid, to get logits).
  std::shared_ptr<Module> pop_back() {
    check_arg(!layers_.empty(), "Sequential::pop_back", "no layers");
    std::shared_ptr<Module> last = layers_.back();
    layers_.pop_back();
    return last;
  }

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const {
    check_arg(i < layers_.size(), "Sequential", "layer ", i, " out of range (", layers_.size(),
              " layers)");
    return *layers_[i];
  }
  // The layer at i as its concrete type, or nullptr if it is another type.
  template <class Layer>
  Layer* layer_as(size_t i) const {
    return dynamic_cast<Layer*>(&(*this)[i]);
  }

  // Each layer after the first owns its input (nobody else sees it), so layers that can work
  // in place do. A ReLU followed by a MaxPool2d runs after it instead: for finite inputs
  // max_pool(relu(x)) == relu(max_pool(x)), values and gradients bit for bit (relu is monotone,
  // and a window's first maximum is the same element either way, or gets a zero gradient
  // both ways), and relu then touches 1/k^2 of the elements.
  Tensor forward(const Tensor& x) override {
    if (layers_.empty()) return x;
    // The caller keeps x: the first layer to read it must not write into it.
    if (relu_then_max_pool(0)) {
      return forward_from(2, layers_[0]->forward_owned(layers_[1]->forward(x)));
    }
    return forward_from(1, layers_[0]->forward(x));
  }
  Tensor forward_owned(Tensor x) override { return forward_from(0, std::move(x)); }
  Shape output_shape(const Shape& in) const override {
    Shape s = in;
    for (const auto& layer : layers_) s = layer->output_shape(s);
    return s;
  }
  std::string type_name() const override { return "Sequential"; }

  std::vector<NamedTensor> named_parameters() const override {
    return prefixed([](const Module& m) { return m.named_parameters(); });
  }
  std::vector<NamedTensor> named_buffers() const override {
    return prefixed([](const Module& m) { return m.named_buffers(); });
  }

  void train(bool on = true) override {
    training_ = on;
    for (const auto& layer : layers_) layer->train(on);
  }

  // A Keras-like table of layers, output shapes and parameter counts. Output shapes need an
  // input shape (batch axis included, e.g. {1, 3, 240, 240}); without one they show as "?".
  void summary(std::ostream& out = std::cout, const Shape& input_shape = {}) const {
    const int kName = 28, kShape = 26;
    const std::string rule(kName + kShape + 12, '_'), double_rule(kName + kShape + 12, '=');
    out << "Model: \"sequential\"\n"
        << rule << "\n"
        << std::left << std::setw(kName) << "Layer (type)" << std::setw(kShape) << "Output Shape"
        << "Param #\n"
        << double_rule << "\n";
    Shape shape = input_shape;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Module& layer = *layers_[i];
      std::string shape_text = "?";
      if (!shape.empty()) {
        shape = layer.output_shape(shape);
        shape_text = "(None";
        for (size_t d = 1; d < shape.size(); ++d) shape_text += ", " + std::to_string(shape[d]);
        shape_text += ")";
      }
      out << std::setw(kName) << (std::to_string(i) + " (" + layer.type_name() + ")")
          << std::setw(kShape) << shape_text
          << with_commas(layer.parameter_count() + layer.buffer_count()) << "\n";
      out << (i + 1 < layers_.size() ? rule : double_rule) << "\n";
    }
    const int64_t trainable = parameter_count(), frozen = buffer_count();
    out << "Total params: " << with_commas(trainable + frozen) << "\n"
        << "Trainable params: " << with_commas(trainable) << "\n"
        << "Non-trainable params: " << with_commas(frozen) << "\n"
        << rule << "\n";
  }

 private:
  Tensor forward_from(size_t first, Tensor h) const {
    for (size_t i = first; i < layers_.size(); ++i) {
      if (relu_then_max_pool(i)) {
        h = layers_[i]->forward_owned(layers_[i + 1]->forward_owned(std::move(h)));
        ++i;
      } else {
        h = layers_[i]->forward_owned(std::move(h));
      }
    }
    return h;
  }
  // Exact types: a subclass may compute something else.
  bool relu_then_max_pool(size_t i) const {
    return i + 1 < layers_.size() && typeid(*layers_[i]) == typeid(ReLU) &&
           typeid(*layers_[i + 1]) == typeid(MaxPool2d);
  }

  template <class Get>
  std::vector<NamedTensor> prefixed(Get get) const {
    std::vector<NamedTensor> all;
    for (size_t i = 0; i < layers_.size(); ++i) {
      for (NamedTensor& t : get(*layers_[i])) {
        all.push_back({std::to_string(i) + "." + t.name, t.tensor});
      }
    }
    return all;
  }
  static std::string with_commas(int64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  }

  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace glia::nn
