/// @file
/// Average: the mean of parallel branches, y = (b_0(x) + ... + b_{K-1}(x)) / K. An ensemble of
/// models that one file holds and one forward pass runs:
///
///   nn::Average ensemble;
///   for (int k = 0; k < 3; ++k) ensemble.add(make_model());  // trained separately
///   Tensor logits = ensemble.forward(x);                     // their mean logit
///
/// Every branch takes the same input and must give the same output shape. Children are named
/// "0", "1", ... ("1.3.weight").
#pragma once

#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "glia/nn/module.hpp"
#include "glia/ops/elementwise.hpp"

namespace glia::nn {

/// The mean of its branches' outputs (see the file's description).
class Average : public Cloneable<Average> {
 public:
  Average() = default;

  /// Takes a branch by value: a temporary is moved in (ensemble.add(std::move(net))), a named
  /// one is copied, deeply.
  template <class Branch, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Branch>>>>
  Average& add(Branch&& branch) {
    return add(std::make_shared<std::decay_t<Branch>>(std::forward<Branch>(branch)));
  }
  /// Appends a branch, shared with whoever else holds it (not copied), and returns this
  /// container, for chaining.
  Average& add(std::shared_ptr<Module> branch) {
    check_arg(branch != nullptr, "Average::add", "null branch");
    register_module(std::to_string(size()), std::move(branch));
    return *this;
  }

  /// The number of branches.
  size_t size() const { return named_children().size(); }
  /// Branch i; throws std::invalid_argument past the end.
  Module& operator[](size_t i) const { return *branch(i); }
  /// Branch i, shared; throws std::invalid_argument past the end.
  std::shared_ptr<Module> branch(size_t i) const {
    check_arg(i < size(), "Average", "branch ", i, " out of range (", size(), " branches)");
    return child(i);
  }

  Tensor forward(const Tensor& x) override {
    check_arg(size() > 0, "Average", "has no branches");
    Tensor sum = child(0)->forward(x);
    for (size_t i = 1; i < size(); ++i) sum = sum + child(i)->forward(x);
    if (size() == 1) return sum;
    return sum * (1.0f / static_cast<float>(size()));
  }
  Shape output_shape(const Shape& in) const override {
    check_arg(size() > 0, "Average", "has no branches");
    const Shape first = child(0)->output_shape(in);
    for (size_t i = 1; i < size(); ++i) {
      const Shape other = child(i)->output_shape(in);
      check_arg(other == first, "Average", "branch ", i, " gives ", shape_str(other),
                " but branch 0 gives ", shape_str(first), " for input ", shape_str(in));
    }
    return first;
  }
  std::string type_name() const override { return "Average"; }
};

}  // namespace glia::nn
