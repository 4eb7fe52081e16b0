/// @file
/// Learning-rate schedules, stepped once per epoch as in PyTorch:
///
///   optim::CosineAnnealingLR schedule(opt, epochs);
///   for (epoch ...) { train one epoch; schedule.step(); }
///
/// A schedule remembers the optimiser's learning rate when it is made (the base rate), and
/// step() sets the rate for the next epoch from the closed form:
///   StepLR:             base * gamma^floor(epoch / step_size)
///   CosineAnnealingLR:  eta_min + (base - eta_min) * (1 + cos(pi * epoch / t_max)) / 2
#pragma once

#include <cmath>

#include "glia/optim/optimizer.hpp"

namespace glia::optim {

/// The base of the learning-rate schedules: sets the optimiser's rate once per epoch.
class LrScheduler {
 public:
  /// Schedules `optimizer` (which must outlive it) from its current rate, the base rate.
  explicit LrScheduler(Optimizer& optimizer) : optimizer_(&optimizer), base_lr_(optimizer.lr()) {}
  virtual ~LrScheduler() = default;

  /// Moves to the next epoch and sets its learning rate.
  void step() {
    ++epoch_;
    optimizer_->set_lr(static_cast<float>(lr_at(epoch_)));
  }
  /// Jumps to an epoch (resuming a run): the rate becomes that epoch's.
  void set_epoch(int64_t epoch) {
    check_arg(epoch >= 0, "LrScheduler::set_epoch", "epoch must be non-negative, got ", epoch);
    epoch_ = epoch;
    optimizer_->set_lr(static_cast<float>(lr_at(epoch_)));
  }
  ///@{
  /// The current epoch (0 before the first step()) and the rate the schedule started from.
  int64_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }
  ///@}
  /// The learning rate of `epoch` (0 is the first).
  virtual double lr_at(int64_t epoch) const = 0;

 private:
  Optimizer* optimizer_;
  double base_lr_;
  int64_t epoch_ = 0;
};

/// base_lr * gamma^(epoch / step_size), as torch.optim.lr_scheduler.StepLR.
class StepLR : public LrScheduler {
 public:
  /// Needs step_size >= 1 and gamma > 0.
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1)
      : LrScheduler(optimizer), step_size_(step_size), gamma_(gamma) {
    check_arg(step_size >= 1, "StepLR", "step_size must be at least 1, got ", step_size);
    check_arg(gamma > 0.0, "StepLR", "gamma must be positive, got ", gamma);
  }
  double lr_at(int64_t epoch) const override {
    return base_lr() * std::pow(gamma_, static_cast<double>(epoch / step_size_));
  }

 private:
  int64_t step_size_;
  double gamma_;
};

/// eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2, as
/// torch.optim.lr_scheduler.CosineAnnealingLR.
class CosineAnnealingLR : public LrScheduler {
 public:
  /// Needs t_max >= 1 and eta_min >= 0.
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0.0)
      : LrScheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
    check_arg(t_max >= 1, "CosineAnnealingLR", "t_max must be at least 1, got ", t_max);
    check_arg(eta_min >= 0.0, "CosineAnnealingLR", "eta_min must be non-negative, got ", eta_min);
  }
  double lr_at(int64_t epoch) const override {
    const double pi = 3.14159265358979323846;
    return eta_min_ +
           (base_lr() - eta_min_) *
               (1.0 + std::cos(pi * static_cast<double>(epoch) / static_cast<double>(t_max_))) /
               2.0;
  }

 private:
  int64_t t_max_;
  double eta_min_;
};

}  // namespace glia::optim
