/// @file
/// Trainer: the training loop, as Keras' model.fit, for a model that ends in logits.
///
///   train::Trainer trainer(net, optimizer, train::Task::binary);
///   trainer.set_scheduler(&schedule);                             // optional, stepped per epoch
///   trainer.add_callback(std::make_shared<train::ModelCheckpoint>("best.glia"));
///   train::History history = trainer.fit(train_loader, &val_loader, 24);
///
/// An epoch: model.train(); for each batch: zero_grad, forward, loss, backward, (clip), step.
/// Then, with a validation loader, model.eval() and one pass without a graph; the metrics go in
/// the epoch's log, callbacks see it, and the schedule steps. Task::binary expects logits
/// {B, 1} and targets {B, 1} in {0, 1} (binary cross-entropy); Task::multiclass logits {B, K}
/// and class-index targets {B} or {B, 1} (cross-entropy). Both take label smoothing.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glia/data/data_loader.hpp"
#include "glia/metrics/binary.hpp"
#include "glia/metrics/multiclass.hpp"
#include "glia/nn/module.hpp"
#include "glia/optim/lr_scheduler.hpp"
#include "glia/optim/optimizer.hpp"

namespace glia::train {

/// What the model predicts: one logit per example (binary cross-entropy), or K class logits
/// (cross-entropy).
enum class Task { binary, multiclass };

/// What one epoch did: training figures, and validation figures when there was a validation
/// loader.
struct EpochLog {
  int64_t epoch = 0;       ///< 1 is the first (as Keras prints it)
  double loss = 0;         ///< mean training loss over the epoch's examples
  double accuracy = 0;     ///< training accuracy over the epoch
  double lr = 0;           ///< the learning rate the epoch trained with
  double seconds = 0;      ///< wall time of the epoch, validation included
  bool validated = false;  ///< the rest is set when there was a validation loader
  ///@{
  /// validation loss and accuracy (for either task)
  double val_loss = 0, val_accuracy = 0;
  ///@}
  metrics::BinaryMetrics val_binary;          ///< Task::binary
  metrics::MulticlassMetrics val_multiclass;  ///< Task::multiclass
};
/// One log per epoch trained, in order.
using History = std::vector<EpochLog>;

/// The history as CSV, one row per epoch: "epoch,loss,accuracy,val_loss,val_accuracy" with six
/// decimals. It holds what the run computed and nothing that depends on the machine's load (an
/// epoch's seconds are not in it), so a resumed run writes the same bytes as an unbroken one.
std::string history_csv(const History& history);

/// Where the loop is, for progress displays.
struct Progress {
  ///@{
  /// epoch counts from 1
  int64_t epoch = 0, epochs = 0;
  ///@}
  ///@{
  /// batches done in this epoch
  size_t batch = 0, batches = 0;
  ///@}
  ///@{
  /// examples done in this epoch, and in a whole epoch
  size_t examples = 0, total_examples = 0;
  ///@}
  ///@{
  /// running means over the epoch so far
  double loss = 0, accuracy = 0;
  ///@}
  double seconds = 0;  ///< since the epoch began
};

/// The outputs of a pass over a loader without a graph, in loader order.
struct Predictions {
  Tensor logits;  ///< {N, 1} or {N, K}
  /// the targets as class labels (0/1 for Task::binary)
  std::vector<int> labels;
  std::vector<size_t> indices;  ///< dataset index of each row
};

class Trainer;

/// Hooks into Trainer::fit; override the ones you need (all do nothing by default).
class Callback {
 public:
  virtual ~Callback() = default;
  /// Before epoch `epoch` (0-based) trains.
  virtual void on_epoch_begin(Trainer& /*trainer*/, int64_t /*epoch*/) {}
  /// After each training batch.
  virtual void on_batch_end(Trainer& /*trainer*/, const Progress& /*progress*/) {}
  /// After an epoch's training and validation, with its log.
  virtual void on_epoch_end(Trainer& /*trainer*/, const EpochLog& /*log*/) {}
  /// What a resumed run needs to carry on as if it had never stopped (ModelCheckpoint: its best
  /// so far), saved with the Trainer's state; empty for stateless callbacks.
  virtual std::vector<std::pair<std::string, double>> state() const { return {}; }
  /// Takes back what state() returned (Trainer::resume).
  virtual void restore(const std::vector<std::pair<std::string, double>>& /*state*/) {}
};

/// Saves the model to `path` whenever the monitored figure improves on its best so far
/// (Keras' ModelCheckpoint with save_best_only): "val_accuracy" (higher is better, the
/// default) or "val_loss" (lower is better).
class ModelCheckpoint : public Callback {
 public:
  /// Throws std::invalid_argument for a monitor other than "val_accuracy" or "val_loss".
  explicit ModelCheckpoint(std::string path, std::string monitor = "val_accuracy");
  /// Saves the model when log's monitored figure beats the best so far.
  void on_epoch_end(Trainer& trainer, const EpochLog& log) override;
  ///@{
  /// The best epoch so far (1-based; 0 before any), its figure, and the file written.
  int64_t best_epoch() const { return best_epoch_; }
  double best() const { return best_; }
  const std::string& path() const { return path_; }
  ///@}
  std::vector<std::pair<std::string, double>> state() const override {
    return {{"best_epoch", static_cast<double>(best_epoch_)}, {"best", best_}};
  }
  /// Takes back the best epoch and figure.
  void restore(const std::vector<std::pair<std::string, double>>& state) override;

 private:
  std::string path_, monitor_;
  bool higher_is_better_;
  int64_t best_epoch_ = 0;
  double best_ = 0;
};

/// Calls a function with each epoch's log (and optionally each batch's progress).
class LambdaCallback : public Callback {
 public:
  /// Calls on_epoch after every epoch and on_batch (if given) after every batch.
  explicit LambdaCallback(std::function<void(const EpochLog&)> on_epoch,
                          std::function<void(const Progress&)> on_batch = nullptr)
      : on_epoch_(std::move(on_epoch)), on_batch_(std::move(on_batch)) {}
  void on_epoch_end(Trainer&, const EpochLog& log) override {
    if (on_epoch_) on_epoch_(log);
  }
  void on_batch_end(Trainer&, const Progress& p) override {
    if (on_batch_) on_batch_(p);
  }

 private:
  std::function<void(const EpochLog&)> on_epoch_;
  std::function<void(const Progress&)> on_batch_;
};

/// The training loop (see the file's description).
class Trainer {
 public:
  /// A loss from the model's logits and the batch's targets, a scalar tensor.
  using LossFn = std::function<Tensor(const Tensor& logits, const Tensor& targets)>;

  /// Trains `model` with `optimizer`; both must outlive the trainer.
  Trainer(nn::Module& model, optim::Optimizer& optimizer, Task task = Task::binary);

  /// Options, each optional.
  void set_scheduler(optim::LrScheduler* scheduler) { scheduler_ = scheduler; }
  /// Label smoothing s in [0, 1) for the task's loss.
  void set_label_smoothing(float s);
  void set_clip_grad_norm(double max_norm);  ///< 0 turns it off
  /// Weights of the classes in the task's loss (Keras' class_weight): each example's loss is
  /// multiplied by the weight of its class before the mean over the batch. Task::binary takes
  /// {negatives, positives}; empty (the default) weighs every example 1.
  void set_class_weights(std::vector<float> weights);
  void set_loss(LossFn loss) { custom_loss_ = std::move(loss); }  ///< replaces the task's loss
  /// Adds a callback; callbacks run in the order they were added.
  void add_callback(std::shared_ptr<Callback> callback);
  /// Runs after each batch's backward pass and before clipping and the optimiser step: where
  /// data-parallel training averages the gradients (glia::dist::allreduce_gradients).
  void set_gradient_hook(std::function<void(nn::Module&)> hook) {
    gradient_hook_ = std::move(hook);
  }

  /// Trains for epochs [first_epoch, epochs) (0-based; first_epoch > 0 continues a run whose
  /// earlier epochs resume() restored). Returns the whole history.
  History fit(data::DataLoader& train, data::DataLoader* validation, int64_t epochs,
              int64_t first_epoch = 0);

  /// Resumable training. With a state file set, every epoch ends by writing (atomically) all that
  /// the next epochs depend on: the model's parameters and buffers, the optimiser's moments and
  /// step, the schedule's epoch, glia::default_rng()'s state (dropout), the callbacks' state and
  /// the history. resume() reads it back and returns the number of epochs done (0 when the file
  /// does not exist): fit(train, validation, epochs, resume(path)) then continues exactly, as
  /// the DataLoader's order and the dataset's augmentation depend on (seed, epoch) alone. A kill
  /// at any moment, even during the write, loses at most the epoch in progress.
  void set_state_file(std::string path) { state_file_ = std::move(path); }
  /// Restores the state file `path` (see above); returns the epochs it holds.
  int64_t resume(const std::string& path);

  /// predict(model(), loader).
  Predictions predict(data::DataLoader& loader);

  /// Asks fit() to stop after the current epoch (a callback may call it: early stopping).
  void stop() { stop_requested_ = true; }

  ///@{
  /// What the trainer was made with, and the history of the epochs trained so far.
  nn::Module& model() { return *model_; }
  optim::Optimizer& optimizer() { return *optimizer_; }
  Task task() const { return task_; }
  const History& history() const { return history_; }
  ///@}

 private:
  std::function<void(nn::Module&)> gradient_hook_;
  Tensor loss(const Tensor& logits, const Tensor& targets) const;
  /// Correct predictions in a batch.
  int64_t correct(const Tensor& logits, const Tensor& targets) const;
  void validate(data::DataLoader& loader, EpochLog& log);
  void save_state(int64_t epochs_done) const;

  nn::Module* model_;
  optim::Optimizer* optimizer_;
  Task task_;
  optim::LrScheduler* scheduler_ = nullptr;
  float label_smoothing_ = 0.0f;
  std::vector<float> class_weights_;
  double clip_grad_norm_ = 0.0;
  LossFn custom_loss_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  History history_;
  bool stop_requested_ = false;
  std::string state_file_;
};

/// The model's logits for every batch of a loader's epoch 0, in eval mode without a graph (the
/// model's mode is restored after). The model must give logits {B, 1} or {B, K}.
Predictions predict(nn::Module& model, data::DataLoader& loader);

/// Labels from a targets tensor: {N} or {N, 1} class indices or 0/1 values.
std::vector<int> labels_of(const Tensor& targets);

}  // namespace glia::train
