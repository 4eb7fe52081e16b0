// Optimizer: updates a list of parameters in place from their accumulated gradients.
#pragma once

#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia::optim {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params) : params_(std::move(params)) {
    for (const Tensor& p : params_) {
      check_arg(p.defined() && p.requires_grad() && p.is_leaf(), "Optimizer",
                "parameters must be leaf tensors with requires_grad(true)");
    }
  }
  virtual ~Optimizer() = default;

  // Forgets the gradients: the next backward() starts from zero.
  void zero_grad() {
    for (Tensor& p : params_) p.set_grad(Tensor());
  }
  // Applies one update; parameters without a gradient are left as they are.
  virtual void step() = 0;

  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
};

}  // namespace glia::optim
