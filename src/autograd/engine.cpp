// Reverse-mode autograd: runs the tape backwards from a scalar.
#include <unordered_map>
#include <unordered_set>

#include "glia/autograd/node.hpp"
#include "glia/ops/elementwise.hpp"

namespace glia {
namespace {

// Gradients are accumulated out of place: a backward function may hand back its incoming
// gradient itself (as `a + b` does), so adding into it would corrupt another tensor's gradient.
void accumulate(AutogradMeta& meta, const Tensor& g) {
  if (!meta.grad) {
    meta.grad = std::make_shared<Tensor>(g);
  } else {
    NoGradGuard no_grad;
    meta.grad = std::make_shared<Tensor>(*meta.grad + g);
  }
}

// Metas in an order where every result comes before the inputs it was made from.
std::vector<AutogradMeta*> reverse_topological_order(AutogradMeta* root) {
  std::vector<AutogradMeta*> post_order;
  std::unordered_set<AutogradMeta*> visited;
  // Iterative DFS: a deep network must not overflow the call stack.
  std::vector<std::pair<AutogradMeta*, size_t>> stack{{root, 0}};
  visited.insert(root);
  while (!stack.empty()) {
    auto& [meta, next_input] = stack.back();
    Node* node = meta->grad_fn.get();
    if (node && next_input < node->inputs.size()) {
      AutogradMeta* input = node->inputs[next_input++].get();
      if (input && visited.insert(input).second) stack.push_back({input, 0});
    } else {
      post_order.push_back(meta);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

}  // namespace

Node::~Node() {
  // Nodes that only this graph still reaches are taken out of their metas and freed from a
  // work list, their own inputs emptied first, so that no destructor runs another's.
  std::vector<std::shared_ptr<Node>> pending;
  auto detach_inputs = [&pending](std::vector<std::shared_ptr<AutogradMeta>>& inputs) {
    for (std::shared_ptr<AutogradMeta>& meta : inputs) {
      if (meta && meta.use_count() == 1 && meta->grad_fn)
        pending.push_back(std::move(meta->grad_fn));
    }
    inputs.clear();
  };
  detach_inputs(inputs);
  while (!pending.empty()) {
    std::shared_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    if (node.use_count() == 1) detach_inputs(node->inputs);
  }
}

void Tensor::backward() const {
  check_arg(defined(), "backward", "called on an undefined tensor");
  check_arg(numel() == 1, "backward", "needs a one-element tensor (a loss), got shape ",
            shape_str(shape()));
  check_arg(requires_grad(), "backward",
            "the tensor does not require grad: no input was marked requires_grad(true), or it "
            "was computed under NoGradGuard");
  AutogradMeta* root = impl_->meta.get();
  accumulate(*root, Tensor::ones(shape()));

  for (AutogradMeta* meta : reverse_topological_order(root)) {
    Node* node = meta->grad_fn.get();
    if (!node || !meta->grad) continue;
    check_arg(static_cast<bool>(node->backward), "backward", "the graph through '", node->op,
              "' was already used by an earlier backward() and has been freed");
    // Hand the gradient over (and free the intermediate one, as PyTorch does without
    // retain_graph): the backward function owns it.
    Tensor grad_output = std::move(*meta->grad);
    meta->grad.reset();
    std::vector<Tensor> grads = node->backward(std::move(grad_output));
    check_arg(grads.size() == node->inputs.size(), "backward", "op '", node->op, "' returned ",
              grads.size(), " gradients for ", node->inputs.size(), " inputs");
    // Every gradient is handed on as its owner's alone (see BackwardFn): a buffer given to two
    // inputs (a + b gives back g twice) is copied for the second.
    for (size_t i = 1; i < grads.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (grads[i].defined() && grads[j].defined() && grads[i].shares_storage_with(grads[j])) {
          grads[i] = grads[i].clone();
          break;
        }
      }
    }
    for (size_t i = 0; i < grads.size(); ++i) {
      if (node->inputs[i] && grads[i].defined()) accumulate(*node->inputs[i], grads[i]);
    }
    // Free the saved activations as soon as they have been used: a lower peak in training.
    node->backward = nullptr;
  }
}

}  // namespace glia
