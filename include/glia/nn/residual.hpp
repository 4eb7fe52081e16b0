/// @file
/// Residual: y = body(x) + shortcut(x), or body(x) + x without a shortcut (identity).
///
/// body and shortcut are any modules: a Sequential of Conv2d / BatchNorm2d / ReLU, a strided
/// 1x1 Conv2d, ... A ResNet basic block that halves the resolution:
///
///   nn::Sequential body;
///   body.add(nn::Conv2d(64, 128, 3, 2, 1, false)).add(nn::BatchNorm2d(128)).add(nn::ReLU());
///   body.add(nn::Conv2d(128, 128, 3, 1, 1, false)).add(nn::BatchNorm2d(128));
///   net.add(nn::Residual(std::move(body), nn::Conv2d(64, 128, 1, 2, 0, false)));
///   net.add(nn::ReLU());
///
/// Children are named "body" and "shortcut" ("3.body.0.weight").
#pragma once

#include <memory>
#include <type_traits>

#include "glia/nn/module.hpp"
#include "glia/ops/elementwise.hpp"

namespace glia::nn {

/// body(x) + shortcut(x), or body(x) + x (see the file's description).
class Residual : public Cloneable<Residual> {
 public:
  /// Shares the modules given; a null shortcut is the identity.
  explicit Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut = nullptr) {
    check_arg(body != nullptr, "Residual", "needs a body");
    register_module("body", std::move(body));
    if (shortcut) register_module("shortcut", std::move(shortcut));
  }
  /// Takes the modules by value: nn::Residual(std::move(body), nn::Conv2d(...)); a named
  /// module is copied (deeply). (Not for a Residual itself: that is the copy constructor.)
  template <class Body, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Body>> &&
                                                 !std::is_same_v<std::decay_t<Body>, Residual>>>
  explicit Residual(Body&& body)
      : Residual(std::make_shared<std::decay_t<Body>>(std::forward<Body>(body))) {}
  template <class Body, class Shortcut,
            class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Body>> &&
                                     std::is_base_of_v<Module, std::decay_t<Shortcut>>>>
  /// Takes a body and a shortcut module by value.
  Residual(Body&& body, Shortcut&& shortcut)
      : Residual(std::make_shared<std::decay_t<Body>>(std::forward<Body>(body)),
                 std::make_shared<std::decay_t<Shortcut>>(std::forward<Shortcut>(shortcut))) {}

  Tensor forward(const Tensor& x) override {
    Tensor y = body().forward(x);
    return y + (shortcut() ? shortcut()->forward(x) : x);
  }
  Shape output_shape(const Shape& in) const override {
    const Shape body_shape = body().output_shape(in);
    const Shape side = shortcut() ? shortcut()->output_shape(in) : in;
    check_arg(body_shape == side, "Residual", "body gives ", shape_str(body_shape),
              " but the shortcut gives ", shape_str(side), " for input ", shape_str(in));
    return body_shape;
  }
  std::string type_name() const override { return "Residual"; }

  ///@{
  /// The two branches (the shortcut is null for the identity).
  Module& body() const { return *child(0); }
  Module* shortcut() const { return shortcut_ptr().get(); }  ///< null for the identity
  const std::shared_ptr<Module>& body_ptr() const { return child(0); }
  const std::shared_ptr<Module>& shortcut_ptr() const {
    static const std::shared_ptr<Module> identity;
    return named_children().size() > 1 ? child(1) : identity;
  }
  ///@}
};

}  // namespace glia::nn
