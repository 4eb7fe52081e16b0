#include "glia/nn/fold.hpp"

#include <cmath>

#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/layer_registry.hpp"

namespace glia::nn {
namespace {

std::shared_ptr<Module> folded(const std::shared_ptr<Module>& module);

// conv then bn as one Conv2d.
std::shared_ptr<Conv2d> fold_pair(const Conv2d& conv, const BatchNorm2d& bn) {
  const int64_t out = conv.out_channels(), per_channel = conv.weight().numel() / out;
  Rng unused(0);  // the weights are overwritten: leave the default generator's stream alone
  auto merged = std::make_shared<Conv2d>(conv.in_channels(), out, conv.kernel_size(), conv.stride(),
                                         conv.padding(), true, unused);
  // A non-square kernel: Conv2d's constructor made a square one; nothing else builds those.
  check_arg(merged->weight().shape() == conv.weight().shape(), "fold_batch_norm",
            "cannot fold a non-square kernel ", shape_str(conv.weight().shape()));
  Tensor w = merged->weight(), b = merged->bias();
  const Tensor w0 = conv.weight(), b0 = conv.bias();
  const Tensor gamma = bn.gamma(), beta = bn.beta(), mean = bn.running_mean(),
               var = bn.running_var();
  for (int64_t o = 0; o < out; ++o) {
    const double s = static_cast<double>(gamma.data()[o]) /
                     std::sqrt(static_cast<double>(var.data()[o]) + static_cast<double>(bn.eps()));
    for (int64_t i = 0; i < per_channel; ++i) {
      w.data()[o * per_channel + i] = static_cast<float>(w0.data()[o * per_channel + i] * s);
    }
    const double bias = b0.defined() ? b0.data()[o] : 0.0;
    b.data()[o] = static_cast<float>((bias - mean.data()[o]) * s + beta.data()[o]);
  }
  return merged;
}

Sequential fold_sequential(const Sequential& model) {
  Sequential out(model.example_shape());
  for (size_t i = 0; i < model.size(); ++i) {
    const auto* conv = model.layer_as<Conv2d>(i);
    const auto* bn = i + 1 < model.size() ? model.layer_as<BatchNorm2d>(i + 1) : nullptr;
    if (conv && bn && bn->channels() == conv->out_channels()) {
      out.add(fold_pair(*conv, *bn));
      ++i;
    } else {
      out.add(folded(model.layer(i)));
    }
  }
  out.eval();
  return out;
}

// Containers (any registered type with children) are rebuilt around folded children; other
// modules are copied, or shared when they cannot be (a user's module without clone()).
std::shared_ptr<Module> folded(const std::shared_ptr<Module>& module) {
  const Module& m = *module;
  if (typeid(m) == typeid(Sequential))
    return std::make_shared<Sequential>(fold_sequential(static_cast<const Sequential&>(m)));
  const LayerType* type = find_layer_type(*module);
  if (type && !type->slots.empty()) {
    Children children = type->children(*module);
    for (auto& slot : children)
      for (auto& child : slot) child = folded(child);
    std::shared_ptr<Module> copy =
        type->build(type->attributes ? type->attributes(*module) : Attributes(), children);
    copy->eval();
    return copy;
  }
  try {
    std::shared_ptr<Module> copy = module->clone();
    copy->eval();
    return copy;
  } catch (const std::logic_error&) {
    return module;
  }
}

}  // namespace

Sequential fold_batch_norm(const Sequential& model) {
  return fold_sequential(model);
}

}  // namespace glia::nn
