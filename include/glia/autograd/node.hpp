/// @file
/// The tape: each recorded op leaves a Node on its result.
///
/// A Node holds the autograd identities of the op's inputs (never their data) and a backward
/// function that maps the gradient of the result to one gradient per input. It returns an
/// undefined Tensor for inputs that need no gradient, and skips computing it: the first conv of
/// a network never computes a gradient for the image.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "glia/autograd/grad_mode.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia {

/// Receives the result's gradient by value and owns it: the engine guarantees that no other
/// tensor shares its storage, so the function may overwrite it with an input's gradient (relu
/// and batch norm do, which keeps one activation-sized buffer fewer alive in backward). In
/// return, it must hand back new tensors or views of that gradient, never a tensor something
/// else holds (a saved value, a constant); the engine copies a buffer returned for two inputs.
using BackwardFn = std::function<std::vector<Tensor>(Tensor grad_output)>;

/// One recorded op in the autograd graph: the inputs that need gradients and the function that
/// maps the output's gradient to theirs.
struct Node {
  std::string op;                                     ///< for error messages and debugging
  std::vector<std::shared_ptr<AutogradMeta>> inputs;  ///< null where no gradient is needed
  BackwardFn backward;                                ///< released after it has run once

  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  /// Frees the graph behind this node without recursion (src/autograd/engine.cpp): a chain of a
  /// million ops would otherwise free itself a million calls deep and overflow the stack.
  ~Node();
};

/// True when an op on these inputs must be recorded: grad mode is on and some input needs a
/// gradient. Ops check this before building their backward closure.
inline bool needs_graph(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor* t : inputs) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

/// needs_graph() for a list of inputs.
inline bool needs_graph(const std::vector<Tensor>& inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.defined() && t.requires_grad()) return true;
  }
  return false;
}

/// Makes `output` the result of a recorded op with these inputs. The backward function must
/// return one Tensor per input, in the same order; it captures detached tensors only.
template <class Inputs>
void record_inputs(const char* op, Tensor& output, const Inputs& inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs.reserve(inputs.size());
  for (Tensor t : inputs) {
    node->inputs.push_back(t.defined() && t.requires_grad() ? t.meta_ptr() : nullptr);
  }
  node->backward = std::move(backward);
  output.meta().grad_fn = std::move(node);
}
///@{
/// record_inputs() for a braced list or a vector of inputs.
inline void record(const char* op, Tensor& output, std::initializer_list<Tensor> inputs,
                   BackwardFn backward) {
  record_inputs(op, output, inputs, std::move(backward));
}
inline void record(const char* op, Tensor& output, const std::vector<Tensor>& inputs,
                   BackwardFn backward) {
  record_inputs(op, output, inputs, std::move(backward));
}
///@}

}  // namespace glia
