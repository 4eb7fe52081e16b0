/// @file
/// Optimizer: updates a list of parameters in place from their accumulated gradients.
#pragma once

#include <vector>

#include "glia/tensor/named_tensor.hpp"

namespace glia::optim {

/// The base of the optimisers: holds the parameters and updates them in step().
class Optimizer {
 public:
  /// The parameters must be leaf tensors that require gradients (std::invalid_argument otherwise).
  explicit Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
    for (const Tensor& p : params_) {
      check_arg(p.defined() && p.requires_grad() && p.is_leaf(), "Optimizer",
                "parameters must be leaf tensors with requires_grad(true)");
    }
  }
  virtual ~Optimizer() = default;

  /// Forgets the gradients: the next backward() starts from zero.
  void zero_grad() {
    for (Tensor& p : params_) p.set_grad(Tensor());
  }
  /// Applies one update; parameters without a gradient are left as they are.
  virtual void step() = 0;

  /// The learning rate of the next step (schedules set it between steps).
  virtual float lr() const = 0;
  /// Sets the learning rate (>= 0).
  virtual void set_lr(float lr) = 0;

  /// What the next steps depend on besides the parameters (moments, the step count), as named
  /// tensors that share storage with the optimiser: saved next to the weights, it lets a run
  /// resume exactly. load_state() checks every name and shape before it writes anything.
  virtual std::vector<NamedTensor> state() const { return {}; }
  /// Restores what state() returned (by name); throws std::invalid_argument on a mismatch.
  void load_state(const std::vector<NamedTensor>& saved) {
    copy_named_tensors(saved, state(), "Optimizer::load_state");
  }

  /// The parameters it updates.
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  /// Throws std::invalid_argument naming `op` unless lr >= 0.
  static void check_lr(float lr, const char* op) {
    check_arg(lr >= 0.0f && lr == lr, op, "learning rate must be non-negative, got ", lr);
  }
  /// the parameters, shared with the model
  std::vector<Tensor> params_;
};

}  // namespace glia::optim
