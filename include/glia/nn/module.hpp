/// @file
/// Module: the base of every layer and model. A module holds parameters (trained), buffers
/// (state that is saved but not trained, like batch-norm running statistics) and child modules,
/// and maps a batch to a batch.
///
/// Modules are thin holders: forward() calls the free functions in glia/ops, which own the math
/// and the gradients. A module registers what it holds in its constructor, as in PyTorch:
///
///   class TwoLayer : public glia::nn::Module {
///    public:
///     TwoLayer() {
///       fc1_ = register_module("fc1", std::make_shared<glia::nn::Dense>(4, 8));
///       fc2_ = register_module("fc2", std::make_shared<glia::nn::Dense>(8, 2));
///       scale_ = register_parameter("scale", glia::Tensor::ones({1}));
///     }
///     glia::Tensor forward(const glia::Tensor& x) override {
///       return fc2_->forward(glia::relu(fc1_->forward(x))) * scale_;
///     }
///    private:
///     std::shared_ptr<glia::nn::Dense> fc1_, fc2_;
///     glia::Tensor scale_;
///   };
///
/// Registered tensors are shared with the module (a Tensor is a handle), so optimisers and
/// checkpoints work on them in place: keep the handle register_* returns and never reassign it.
/// Names are local ("weight"); a child's are prefixed with its name ("fc1.weight"), so every
/// name in named_parameters() is unique and checkpoints find tensors by name.
///
/// Copying a module is a deep copy, as PyTorch's copy.deepcopy: the copy owns new parameters and
/// buffers with the same values, and copies of the children (clone()); training the copy leaves
/// the original as it was. To share a module instead, hold it by std::shared_ptr (containers
/// take one: net.add(std::make_shared<nn::Dense>(4, 2)) or a pointer another model holds).
/// The built-in layers read their tensors and children back through parameter(i), buffer(i)
/// and child(i), so a copy computes with its own; a subclass that keeps handles as members, like
/// TwoLayer above, must point them at the copy's in its copy constructor, or not be copied (its
/// clone() throws unless it overrides it: derive from Cloneable<TwoLayer> to get one).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "glia/tensor/named_tensor.hpp"

namespace glia::nn {

using glia::NamedTensor;

class Module;
/// A child module and the name it was registered under.
struct NamedModule {
  std::string name;                ///< local name, e.g. "body" or "0"
  std::shared_ptr<Module> module;  ///< the child, shared with its parent
};

/// The base of every layer and model (see the file's description).
class Module {
 public:
  virtual ~Module() = default;

  /// The module applied to a batch `x` (batch axis first). Records the autograd graph unless a
  /// NoGradGuard is alive.
  virtual Tensor forward(const Tensor& x) = 0;
  /// Same as forward(x).
  Tensor operator()(const Tensor& x) { return forward(x); }

  /// Shape of forward(x) for an input of `input` shape (batch axis included), throwing
  /// std::invalid_argument where forward would. Built-in layers compute it from the op's
  /// shape formula; the default runs forward() on zeros of that shape, in eval mode and without
  /// a graph, which is right for any module (and costs one forward pass).
  virtual Shape output_shape(const Shape& input) const;
  /// Short type name, e.g. "Conv2d", for summaries and error messages. The default is the
  /// class's name without its namespace.
  virtual std::string type_name() const;
  /// A deep copy of this module, of its own type (see the file's description): what containers
  /// call to copy their children. Throws std::logic_error for a type that does not implement it
  /// (derive from Cloneable<YourModule> to get one from the copy constructor).
  virtual std::shared_ptr<Module> clone() const;

  ///@{
  /// This module's own, then each child's (prefixed with "<child name>."), in the order they
  /// were registered; the tensors are shared with the module, not copies.
  std::vector<NamedTensor> named_parameters() const;
  std::vector<NamedTensor> named_buffers() const;
  const std::vector<NamedModule>& named_children() const { return children_; }
  std::vector<Tensor> parameters() const { return tensors_of(named_parameters()); }
  std::vector<Tensor> buffers() const { return tensors_of(named_buffers()); }
  ///@}
  /// Parameters then buffers: everything a checkpoint holds.
  std::vector<NamedTensor> named_state() const;

  ///@{
  /// How many floats the parameters (or the buffers) hold, children included.
  int64_t parameter_count() const { return count(named_parameters()); }
  int64_t buffer_count() const { return count(named_buffers()); }
  ///@}

  /// Training mode (the default) or inference mode, for this module and all its children:
  /// batch norm and dropout behave differently in the two.
  void train(bool on = true);
  /// Same as train(false).
  void eval() { train(false); }
  /// True in training mode.
  bool is_training() const { return training_; }

  /// A Keras-like table of the children (or of the module itself, if it has none), their output
  /// shapes and parameter counts. `input` is one batch's shape, batch axis included, e.g.
  /// {1, 3, 240, 240}; without it the shapes show as "?".
  void summary(std::ostream& out, const Shape& input = {}) const;

 protected:
  ///@{
  /// For subclasses. A copy is deep (see the file's description); a move keeps the tensors.
  Module() = default;
  Module(const Module& other);
  Module& operator=(const Module& other);
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;
  ///@}

  ///@{
  /// The i-th registered parameter, buffer or child, in registration order: how the built-in
  /// layers read theirs, so that a copy computes with the copy's (unchecked index).
  const Tensor& parameter(size_t i) const { return parameters_[i].tensor; }
  const Tensor& buffer(size_t i) const { return buffers_[i].tensor; }
  const std::shared_ptr<Module>& child(size_t i) const { return children_[i].module; }
  ///@}

  ///@{
  /// Registers a parameter (marked requires_grad) or buffer under a name unique in this module,
  /// and returns the same tensor.
  Tensor register_parameter(std::string name, Tensor tensor);
  Tensor register_buffer(std::string name, Tensor tensor);
  ///@}
  /// Registers a child; it takes this module's training mode.
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  /// Removes the child registered last and returns it.
  std::shared_ptr<Module> unregister_last_module();
  /// Called after the training mode changed, for modules that react to it.
  virtual void on_train(bool /*on*/) {}
  /// True for containers whose children run one after another on one input (Sequential):
  /// summary() then shows every child's output shape.
  virtual bool children_form_a_chain() const { return false; }

 private:
  void add_child(std::string name, std::shared_ptr<Module> module);
  void check_new_name(const std::string& name) const;
  static std::vector<Tensor> tensors_of(const std::vector<NamedTensor>& named);
  static int64_t count(const std::vector<NamedTensor>& named);

  bool training_ = true;
  std::vector<NamedTensor> parameters_, buffers_;
  std::vector<NamedModule> children_;
};

/// Gives a Module subclass `Derived` a clone() that copy-constructs it:
/// class MyLayer : public nn::Cloneable<MyLayer> { ... };  (Base: the class to derive from).
template <class Derived, class Base = Module>
class Cloneable : public Base {
 public:
  using Base::Base;
  /// A deep copy of the module, as a Derived.
  std::shared_ptr<Module> clone() const override {
    return std::make_shared<Derived>(static_cast<const Derived&>(*this));
  }
};

}  // namespace glia::nn
