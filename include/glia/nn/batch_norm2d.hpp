/// @file
/// BatchNorm2d layer over batch_norm(): gamma (ones) and beta (zeros) are trained; running_mean
/// (zeros) and running_var (ones) are buffers. The defaults are PyTorch's (eps 1e-5, momentum
/// 0.1: running = 0.9 running + 0.1 batch). Keras' defaults (epsilon 1e-3, momentum 0.99) are
/// BatchNorm2d(c, 1e-3f, 0.01f) here, as the seed network uses.
#pragma once

#include "glia/nn/module.hpp"
#include "glia/ops/batch_norm.hpp"

namespace glia::nn {

/// Batch normalisation over the channels of {N, C, H, W} (or {N, C}) inputs: batch statistics
/// in training mode (and the running ones updated), the running ones in eval mode.
class BatchNorm2d : public Cloneable<BatchNorm2d> {
 public:
  /// Needs channels > 0, eps > 0 and momentum in [0, 1] (std::invalid_argument otherwise).
  explicit BatchNorm2d(int64_t channels, float eps = 1e-5f, float momentum = 0.1f)
      : eps_(eps), momentum_(momentum) {
    check_arg(channels > 0, "BatchNorm2d", "channels must be positive, got ", channels);
    check_arg(eps > 0.0f && momentum >= 0.0f && momentum <= 1.0f, "BatchNorm2d",
              "needs eps > 0 and momentum in [0, 1], got ", eps, " and ", momentum);
    register_parameter("gamma", Tensor::ones({channels}));
    register_parameter("beta", Tensor::zeros({channels}));
    register_buffer("running_mean", Tensor::zeros({channels}));
    register_buffer("running_var", Tensor::ones({channels}));
  }

  Tensor forward(const Tensor& x) override {
    RunningStats running{running_mean(), running_var()};  // updated in training
    return batch_norm(x, gamma(), beta(), running, is_training(), momentum_, eps_,
                      reducer_ ? &reducer_ : nullptr);
  }
  Shape output_shape(const Shape& in) const override {
    check_arg((in.size() == 4 || in.size() == 2) && in[1] == channels(), "BatchNorm2d",
              "expects {N, ", channels(), ", ...}, got ", shape_str(in));
    return in;
  }
  std::string type_name() const override { return "BatchNorm2d"; }

  ///@{
  /// The layer's tensors (shared with it: writing to them changes the layer) and settings.
  Tensor gamma() const { return parameter(0); }
  Tensor beta() const { return parameter(1); }
  Tensor running_mean() const { return buffer(0); }
  Tensor running_var() const { return buffer(1); }
  int64_t channels() const { return gamma().size(0); }
  float eps() const { return eps_; }
  float momentum() const { return momentum_; }
  ///@}

  /// Synchronised batch statistics in training (batch_norm()'s reducer; glia::dist sets it on
  /// every BatchNorm2d of a model). An empty function turns it off.
  void set_stats_reducer(BatchStatsReducer reducer) { reducer_ = std::move(reducer); }

 private:
  BatchStatsReducer reducer_;
  float eps_, momentum_;
};

}  // namespace glia::nn
