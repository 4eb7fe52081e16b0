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
class Residual : public Module {
 public:
  /// Shares the modules given; a null shortcut is the identity.
  explicit Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> shortcut = nullptr) {
    check_arg(body != nullptr, "Residual", "needs a body");
    body_ = register_module("body", std::move(body));
    if (shortcut) shortcut_ = register_module("shortcut", std::move(shortcut));
  }
  /// Takes the modules by value: nn::Residual(std::move(body), nn::Conv2d(...)).
  template <class Body, class = std::enable_if_t<std::is_base_of_v<Module, std::decay_t<Body>>>>
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
    Tensor y = body_->forward(x);
    return y + (shortcut_ ? shortcut_->forward(x) : x);
  }
  Shape output_shape(const Shape& in) const override {
    const Shape body = body_->output_shape(in);
    const Shape side = shortcut_ ? shortcut_->output_shape(in) : in;
    check_arg(body == side, "Residual", "body gives ", shape_str(body), " but the shortcut gives ",
              shape_str(side), " for input ", shape_str(in));
    return body;
  }
  std::string type_name() const override { return "Residual"; }

  ///@{
  /// The two branches (the shortcut is null for the identity).
  Module& body() const { return *body_; }
  Module* shortcut() const { return shortcut_.get(); }  ///< null for the identity
  const std::shared_ptr<Module>& body_ptr() const { return body_; }
  const std::shared_ptr<Module>& shortcut_ptr() const { return shortcut_; }
  ///@}

 private:
  std::shared_ptr<Module> body_, shortcut_;
};

}  // namespace glia::nn
