// Module: the base of every layer. A module holds parameters (trained) and buffers (state that
// is saved but not trained, like batch-norm running statistics) and maps a batch to a batch.
//
// Modules are thin holders: forward() calls the free functions in glia/ops, which own the math
// and the gradients. Tensors returned by parameters() share storage with the module, so an
// optimiser that updates them in place updates the model.
#pragma once

#include <string>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia::nn {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

class Module {
 public:
  virtual ~Module() = default;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  // Like forward, for an input nobody else will read again (a container's intermediate
  // result): layers that can work in place (ReLU, BatchNorm2d in eval mode) override it.
  virtual Tensor forward_owned(Tensor x) { return forward(x); }

  // Shape of forward(x) for an input of `input` shape (batch axis included), computed without
  // running the layer; throws std::invalid_argument where forward would.
  virtual Shape output_shape(const Shape& input) const = 0;
  // Short type name, e.g. "Conv2d", for summaries and error messages.
  virtual std::string type_name() const = 0;

  // Names are local ("weight"); containers prefix them ("1.weight").
  virtual std::vector<NamedTensor> named_parameters() const { return {}; }
  virtual std::vector<NamedTensor> named_buffers() const { return {}; }

  std::vector<Tensor> parameters() const { return tensors_of(named_parameters()); }
  std::vector<Tensor> buffers() const { return tensors_of(named_buffers()); }
  // Parameters then buffers: everything a checkpoint holds.
  std::vector<NamedTensor> named_state() const {
    std::vector<NamedTensor> state = named_parameters();
    for (NamedTensor& b : named_buffers()) state.push_back(std::move(b));
    return state;
  }

  int64_t parameter_count() const { return count(named_parameters()); }
  int64_t buffer_count() const { return count(named_buffers()); }

  virtual void train(bool on = true) { training_ = on; }
  void eval() { train(false); }
  bool is_training() const { return training_; }

 protected:
  bool training_ = true;

 private:
  static std::vector<Tensor> tensors_of(const std::vector<NamedTensor>& named) {
    std::vector<Tensor> out;
    out.reserve(named.size());
    for (const NamedTensor& n : named) out.push_back(n.tensor);
    return out;
  }
  static int64_t count(const std::vector<NamedTensor>& named) {
    int64_t total = 0;
    for (const NamedTensor& n : named) total += n.tensor.numel();
    return total;
  }
};

}  // namespace glia::nn
