#include "glia/train/trainer.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "glia/autograd/grad_mode.hpp"
#include "glia/io/checkpoint.hpp"
#include "glia/metrics/json.hpp"
#include "glia/ops/elementwise.hpp"
#include "glia/ops/loss.hpp"
#include "glia/optim/clip_grad.hpp"

namespace glia::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<int> labels_of(const Tensor& targets) {
  check_arg(targets.defined() && targets.dim() >= 1 && targets.numel() == targets.size(0),
            "labels_of", "expects targets {N} or {N, 1}, got ", shape_str(targets));
  std::vector<int> labels(static_cast<size_t>(targets.numel()));
  for (size_t i = 0; i < labels.size(); ++i) {
    const float t = targets.data()[i];
    check_arg(std::floor(t) == t && t >= 0.0f, "labels_of", "target ", t, " at ", i,
              " is not a class index");
    labels[i] = static_cast<int>(t);
  }
  return labels;
}

Predictions predict(nn::Module& model, data::DataLoader& loader) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  Predictions out;
  std::vector<float> values;
  int64_t width = 0;
  try {
    for (const data::Batch& batch : loader.epoch(0)) {
      const Tensor logits = model.forward(batch.inputs);
      check_arg(logits.dim() == 2 && logits.size(0) == batch.inputs.size(0), "predict",
                "the model gives ", shape_str(logits.shape()), " for a batch of ",
                batch.inputs.size(0), "; expected logits {B, 1} or {B, K}");
      width = logits.size(1);
      values.insert(values.end(), logits.data(), logits.data() + logits.numel());
      for (int label : labels_of(batch.targets)) out.labels.push_back(label);
      out.indices.insert(out.indices.end(), batch.indices.begin(), batch.indices.end());
    }
  } catch (...) {
    model.train(was_training);
    throw;
  }
  model.train(was_training);
  const int64_t rows = static_cast<int64_t>(out.labels.size());
  out.logits = Tensor::from(values, {rows, rows ? width : 0});
  return out;
}

ModelCheckpoint::ModelCheckpoint(std::string path, std::string monitor)
    : path_(std::move(path)), monitor_(std::move(monitor)) {
  check_arg(monitor_ == "val_accuracy" || monitor_ == "val_loss", "ModelCheckpoint",
            "monitor must be val_accuracy or val_loss, got '", monitor_, "'");
  higher_is_better_ = monitor_ == "val_accuracy";
}

void ModelCheckpoint::restore(const std::vector<std::pair<std::string, double>>& state) {
  for (const auto& [key, value] : state) {
    if (key == "best_epoch") best_epoch_ = static_cast<int64_t>(value);
    if (key == "best") best_ = value;
  }
}

void ModelCheckpoint::on_epoch_end(Trainer& trainer, const EpochLog& log) {
  check_arg(log.validated, "ModelCheckpoint", "monitors ", monitor_,
            " but fit() was given no validation loader");
  const double value = higher_is_better_ ? log.val_accuracy : log.val_loss;
  const bool better = best_epoch_ == 0 || (higher_is_better_ ? value > best_ : value < best_);
  if (!better) return;
  best_ = value;
  best_epoch_ = log.epoch;
  io::save(trainer.model(), path_);
}

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, Task task)
    : model_(&model), optimizer_(&optimizer), task_(task) {}

void Trainer::set_label_smoothing(float s) {
  check_arg(s >= 0.0f && s < 1.0f, "Trainer", "label smoothing must be in [0, 1), got ", s);
  label_smoothing_ = s;
}

void Trainer::set_clip_grad_norm(double max_norm) {
  check_arg(max_norm >= 0.0, "Trainer", "max_norm must be non-negative, got ", max_norm);
  clip_grad_norm_ = max_norm;
}

void Trainer::add_callback(std::shared_ptr<Callback> callback) {
  check_arg(callback != nullptr, "Trainer::add_callback", "null callback");
  callbacks_.push_back(std::move(callback));
}

void Trainer::set_class_weights(std::vector<float> weights) {
  for (size_t c = 0; c < weights.size(); ++c) {
    check_arg(std::isfinite(weights[c]) && weights[c] >= 0.0f, "Trainer",
              "class weights must be finite and non-negative, got ", weights[c], " for class ", c);
  }
  check_arg(weights.empty() || task_ == Task::multiclass || weights.size() == 2, "Trainer",
            "Task::binary takes 2 class weights (negatives, positives), got ", weights.size());
  class_weights_ = std::move(weights);
}

Tensor Trainer::loss(const Tensor& logits, const Tensor& targets) const {
  if (custom_loss_) return custom_loss_(logits, targets);
  Tensor weights;  // each example's class weight, when there are class weights
  if (!class_weights_.empty()) {
    std::vector<int> labels;
    if (task_ == Task::binary) {
      for (int64_t i = 0; i < targets.numel(); ++i) labels.push_back(targets.data()[i] > 0.5f);
    } else {
      labels = labels_of(targets);
    }
    weights = Tensor::empty(task_ == Task::binary ? targets.shape() : Shape{targets.numel()});
    for (size_t i = 0; i < labels.size(); ++i) {
      check_arg(static_cast<size_t>(labels[i]) < class_weights_.size(), "Trainer", "target ",
                labels[i], " has no class weight (", class_weights_.size(), " given)");
      weights.data()[i] = class_weights_[static_cast<size_t>(labels[i])];
    }
  }
  if (task_ == Task::multiclass) return cross_entropy(logits, targets, label_smoothing_, weights);
  if (label_smoothing_ == 0.0f) return binary_cross_entropy_with_logits(logits, targets, weights);
  // Keras' binary label smoothing: targets move towards 1/2.
  return binary_cross_entropy_with_logits(
      logits, targets * (1.0f - label_smoothing_) + 0.5f * label_smoothing_, weights);
}

int64_t Trainer::correct(const Tensor& logits, const Tensor& targets) const {
  const int64_t n = logits.size(0);
  int64_t hits = 0;
  if (task_ == Task::binary) {
    for (int64_t i = 0; i < n; ++i) hits += (logits.data()[i] > 0.0f) == (targets.data()[i] > 0.5f);
    return hits;
  }
  const std::vector<int> predicted = metrics::argmax_rows(logits);
  for (int64_t i = 0; i < n; ++i) {
    hits += predicted[static_cast<size_t>(i)] == static_cast<int>(targets.data()[i]);
  }
  return hits;
}

Predictions Trainer::predict(data::DataLoader& loader) {
  return train::predict(*model_, loader);
}

void Trainer::validate(data::DataLoader& loader, EpochLog& log) {
  const Predictions p = predict(loader);
  log.validated = true;
  if (task_ == Task::binary) {
    check_arg(p.logits.numel() == static_cast<int64_t>(p.labels.size()), "Trainer",
              "Task::binary expects logits {B, 1}, got ", shape_str(p.logits.shape()));
    const std::vector<float> logits(p.logits.data(), p.logits.data() + p.logits.numel());
    log.val_binary = metrics::binary_metrics(logits, p.labels);
    log.val_loss = log.val_binary.log_loss;
    log.val_accuracy = log.val_binary.accuracy;
  } else {
    log.val_multiclass = metrics::multiclass_metrics(p.logits, p.labels);
    log.val_loss = log.val_multiclass.log_loss;
    log.val_accuracy = log.val_multiclass.accuracy;
  }
}

History Trainer::fit(data::DataLoader& train, data::DataLoader* validation, int64_t epochs,
                     int64_t first_epoch) {
  check_arg(epochs >= 1 && first_epoch >= 0 && first_epoch <= epochs, "Trainer::fit",
            "needs 0 <= first_epoch <= epochs and epochs >= 1, got first_epoch ", first_epoch,
            " and epochs ", epochs);
  check_arg(first_epoch == 0 || static_cast<int64_t>(history_.size()) == first_epoch,
            "Trainer::fit", "first_epoch ", first_epoch, " but the history holds ", history_.size(),
            " epochs (call resume() first)");
  stop_requested_ = false;
  if (first_epoch == 0) history_.clear();
  const std::vector<Tensor> params = model_->parameters();
  for (int64_t e = first_epoch; e < epochs && !stop_requested_; ++e) {
    const auto start = std::chrono::steady_clock::now();
    for (auto& c : callbacks_) c->on_epoch_begin(*this, e + 1);
    EpochLog log;
    log.epoch = e + 1;
    log.lr = optimizer_->lr();
    Progress progress;
    progress.epoch = e + 1;
    progress.epochs = epochs;
    progress.batches = train.num_batches();
    progress.total_examples = train.num_examples();
    model_->train();
    double loss_sum = 0.0;
    int64_t hits = 0;
    for (const data::Batch& batch : train.epoch(e)) {
      optimizer_->zero_grad();
      const Tensor logits = model_->forward(batch.inputs);
      Tensor batch_loss = loss(logits, batch.targets);
      batch_loss.backward();
      if (gradient_hook_) gradient_hook_(*model_);
      if (clip_grad_norm_ > 0.0) optim::clip_grad_norm(params, clip_grad_norm_);
      optimizer_->step();
      const int64_t n = batch.inputs.size(0);
      loss_sum += static_cast<double>(batch_loss.item()) * static_cast<double>(n);
      hits += correct(logits, batch.targets);
      progress.batch += 1;
      progress.examples += static_cast<size_t>(n);
      progress.loss = loss_sum / static_cast<double>(progress.examples);
      progress.accuracy = static_cast<double>(hits) / static_cast<double>(progress.examples);
      progress.seconds = seconds_since(start);
      for (auto& c : callbacks_) c->on_batch_end(*this, progress);
    }
    log.loss = progress.loss;
    log.accuracy = progress.accuracy;
    if (validation) validate(*validation, log);
    log.seconds = seconds_since(start);
    history_.push_back(log);
    for (auto& c : callbacks_) c->on_epoch_end(*this, log);
    if (scheduler_) scheduler_->step();
    if (!state_file_.empty()) save_state(e + 1);
  }
  return history_;
}

namespace {

using Json = nlohmann::json;

Json log_json(const EpochLog& log) {
  Json j{{"epoch", log.epoch},
         {"loss", log.loss},
         {"accuracy", log.accuracy},
         {"lr", log.lr},
         {"seconds", log.seconds},
         {"validated", log.validated},
         {"val_loss", log.val_loss},
         {"val_accuracy", log.val_accuracy},
         {"val_binary", Json::parse(metrics::to_json(log.val_binary))},
         {"val_multiclass", Json::parse(metrics::to_json(log.val_multiclass))}};
  return j;
}

EpochLog log_from(const Json& j) {
  EpochLog log;
  log.epoch = j.at("epoch");
  log.loss = j.at("loss");
  log.accuracy = j.at("accuracy");
  log.lr = j.at("lr");
  log.seconds = j.at("seconds");
  log.validated = j.at("validated");
  log.val_loss = j.at("val_loss");
  log.val_accuracy = j.at("val_accuracy");
  log.val_binary = metrics::binary_metrics_from_json(j.at("val_binary").dump());
  log.val_multiclass = metrics::multiclass_metrics_from_json(j.at("val_multiclass").dump());
  return log;
}

// Prefixes tensor names ("model/1.weight"), so that one file holds several groups.
std::vector<NamedTensor> prefixed(const std::string& prefix, std::vector<NamedTensor> tensors) {
  for (NamedTensor& t : tensors) t.name = prefix + t.name;
  return tensors;
}

}  // namespace

void Trainer::save_state(int64_t epochs_done) const {
  Json state;
  state["epochs_done"] = epochs_done;
  Json history = Json::array();
  for (const EpochLog& log : history_) history.push_back(log_json(log));
  state["history"] = history;
  // 64-bit words as decimal strings: JSON numbers are doubles in many readers.
  Json rng = Json::array();
  for (uint64_t word : default_rng().state()) rng.push_back(std::to_string(word));
  state["default_rng"] = rng;
  state["scheduler_epoch"] = scheduler_ ? scheduler_->epoch() : 0;
  Json callbacks = Json::array();
  for (const auto& c : callbacks_) callbacks.push_back(c->state());
  state["callbacks"] = callbacks;
  std::vector<NamedTensor> tensors = prefixed("model/", model_->named_state());
  for (NamedTensor& t : prefixed("optimizer/", optimizer_->state())) tensors.push_back(t);
  io::save_checkpoint(state_file_, tensors, Json{{"trainer_state", state}}.dump());
}

int64_t Trainer::resume(const std::string& path) {
  if (!std::filesystem::exists(path)) return 0;
  const io::Checkpoint stored = io::read_checkpoint(path);
  auto fail = [&](const std::string& what) -> void {
    throw std::runtime_error("glia::Trainer::resume: '" + path + "': " + what);
  };
  const Json meta = Json::parse(stored.metadata, nullptr, false);
  if (!meta.is_object() || !meta.contains("trainer_state")) fail("not a training state file");
  std::vector<NamedTensor> model_part, optimizer_part;
  for (const NamedTensor& t : stored.tensors) {
    if (t.name.rfind("model/", 0) == 0) model_part.push_back({t.name.substr(6), t.tensor});
    if (t.name.rfind("optimizer/", 0) == 0) optimizer_part.push_back({t.name.substr(10), t.tensor});
  }
  History history;
  int64_t epochs_done = 0, scheduler_epoch = 0;
  std::array<uint64_t, 4> rng{};
  std::vector<std::vector<std::pair<std::string, double>>> callback_states;
  try {
    const Json& s = meta.at("trainer_state");
    epochs_done = s.at("epochs_done");
    for (const Json& log : s.at("history")) history.push_back(log_from(log));
    for (size_t i = 0; i < 4; ++i)
      rng[i] = std::stoull(s.at("default_rng").at(i).get<std::string>());
    scheduler_epoch = s.at("scheduler_epoch");
    callback_states = s.at("callbacks").get<decltype(callback_states)>();
  } catch (const std::exception& e) {
    fail(std::string("malformed state: ") + e.what());
  }
  if (epochs_done < 0 || static_cast<size_t>(epochs_done) != history.size()) {
    fail("its history does not match its epoch count");
  }
  if (callback_states.size() != callbacks_.size()) {
    fail("it was written with " + std::to_string(callback_states.size()) +
         " callbacks, this trainer has " + std::to_string(callbacks_.size()));
  }
  // Everything checked: now restore (the copies check names and shapes before writing).
  try {
    copy_named_tensors(model_part, model_->named_state(), "Trainer::resume (model)");
    optimizer_->load_state(optimizer_part);
  } catch (const std::invalid_argument& e) {
    fail(std::string("it does not fit this model and optimiser: ") + e.what());
  }
  history_ = history;
  default_rng().set_state(rng);
  if (scheduler_) scheduler_->set_epoch(scheduler_epoch);
  for (size_t i = 0; i < callbacks_.size(); ++i) callbacks_[i]->restore(callback_states[i]);
  return epochs_done;
}

std::string history_csv(const History& history) {
  std::string out = "epoch,loss,accuracy,val_loss,val_accuracy\n";
  char line[256];
  for (const EpochLog& r : history) {
    std::snprintf(line, sizeof(line), "%lld,%.6f,%.6f,%.6f,%.6f\n", static_cast<long long>(r.epoch),
                  r.loss, r.accuracy, r.val_loss, r.val_accuracy);
    out += line;
  }
  return out;
}

}  // namespace glia::train
