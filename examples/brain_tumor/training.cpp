#include "training.hpp"

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include <glia/dist/dist.hpp>
#include <glia/glia.hpp>
#include <glia/support/resources.hpp>
#include <glia/train/test_time_augmentation.hpp>

#include "report.hpp"
#include "scan_dataset.hpp"

namespace brain_tumor {

std::vector<float> scan_balancing_weights(const std::vector<Prepared>& items,
                                          const std::vector<int>& train) {
  double count[2] = {0, 0};
  std::set<std::string> scans[2];
  for (int i : train) {
    const ImageRef& ref = items[static_cast<size_t>(i)].ref;
    count[ref.label] += 1;
    scans[ref.label].insert(ref.scan_key);
  }
  const double n = count[0] + count[1];
  const double s = static_cast<double>(scans[0].size() + scans[1].size());
  std::vector<float> weights(2, 1.0f);
  for (int c : {0, 1}) {
    if (count[c] > 0) weights[c] = static_cast<float>(scans[c].size() / count[c] * n / s);
  }
  return weights;
}

TrainingResult train_on(const std::vector<Prepared>& items, const Split& split,
                        const TrainingPlan& plan) {
  const Recipe& r = plan.recipe;
  glia::manual_seed(plan.seed);
  TrainingResult result;
  result.net = build_network(r);
  std::unique_ptr<glia::optim::Optimizer> opt;
  if (r.adamw) {
    opt = std::make_unique<glia::optim::AdamW>(
        result.net.parameters(),
        glia::optim::AdamWOptions{r.lr, 0.9f, 0.999f, r.eps, r.weight_decay});
  } else {
    opt = std::make_unique<glia::optim::Adam>(
        result.net.parameters(),
        glia::optim::AdamOptions{r.lr, 0.9f, 0.999f, r.eps, r.weight_decay});
  }
  std::unique_ptr<glia::optim::LrScheduler> schedule;
  if (r.cosine) schedule = std::make_unique<glia::optim::CosineAnnealingLR>(*opt, r.epochs);

  AugmentPlan augment;
  augment.seed = plan.seed;
  augment.settings = r.augment_settings;
  const bool transform = plan.augment == AugmentMode::online ||
                         (plan.augment == AugmentMode::folder && r.transform_copies);
  ScanDataset train_set(items, split.train, transform ? &augment : nullptr);
  ScanDataset val_set(items, split.val);
  glia::data::DataLoaderOptions train_options;
  train_options.batch_size = r.batch;
  train_options.shuffle = true;
  // The shuffle stream of the seed recipe since glia's first release: one generator, seeded
  // like this, shuffling the previous epoch's order (DataLoader's rule).
  train_options.seed = plan.seed ^ 0x5DEECE66Dull;
  glia::data::DataLoaderOptions val_options;
  val_options.batch_size = 32;
  glia::data::DataLoader val_loader(val_set, val_options);

  glia::train::Trainer trainer(result.net, *opt, glia::train::Task::binary);
  trainer.set_scheduler(schedule.get());
  trainer.set_label_smoothing(r.label_smoothing);
  if (r.scan_balance) trainer.set_class_weights(scan_balancing_weights(items, split.train));
  const bool keep_last = r.monitor == Monitor::last;
  std::shared_ptr<glia::train::ModelCheckpoint> checkpoint;
  if (!keep_last) {
    checkpoint = std::make_shared<glia::train::ModelCheckpoint>(plan.best_path, name_of(r.monitor));
    trainer.add_callback(checkpoint);
  }
  trainer.add_callback(std::make_shared<glia::train::LambdaCallback>(
      [&](const glia::train::EpochLog& log) {
        if (plan.on_epoch) plan.on_epoch(plan.network, log);
      },
      [&](const glia::train::Progress& p) {
        if (plan.on_batch) plan.on_batch(plan.network, p);
      }));
  // Under mpirun: each rank a part of every batch, gradients averaged (a no-op alone).
  if (plan.data_parallel) glia::dist::make_data_parallel(result.net, train_options, trainer);
  glia::data::DataLoader train_loader(train_set, train_options);
  int64_t first_epoch = 0;
  if (!plan.state_path.empty()) {
    trainer.set_state_file(plan.state_path);
    if (plan.resume) first_epoch = trainer.resume(plan.state_path);
  }
  result.history = trainer.fit(train_loader, &val_loader, r.epochs, first_epoch);
  if (keep_last) {
    result.best_epoch = static_cast<int64_t>(result.history.size());
    glia::save(result.net, plan.best_path);
  } else {
    result.best_epoch = checkpoint->best_epoch();
    glia::load(result.net, plan.best_path);
  }
  result.net.eval();
  return result;
}

FittedModel fit_recipe(const std::vector<Prepared>& items, const Split& split,
                       const TrainingPlan& plan) {
  const Recipe& r = plan.recipe;
  FittedModel fitted;
  // One network alone is the model file; several, or a calibrated one, are kept in files of
  // their own and the model file holds what combines them.
  const bool combined = r.models > 1 || r.calibrate;
  const std::string stem = plan.best_path.substr(0, plan.best_path.rfind('.'));
  auto ensemble = std::make_shared<glia::nn::Average>();
  for (int64_t m = 0; m < r.models; ++m) {
    TrainingPlan one = plan;
    one.seed = plan.seed ^ (static_cast<uint64_t>(m) * 0x9E3779B97F4A7C15ull);
    if (combined) {
      one.best_path = stem + "-network-" + std::to_string(m + 1) + ".glia";
      if (!plan.state_path.empty())
        one.state_path = plan.state_path.substr(0, plan.state_path.rfind('.')) + "-" +
                         std::to_string(m + 1) + ".glia";
    }
    one.network = m;
    TrainingResult trained = train_on(items, split, one);
    fitted.histories.push_back(std::move(trained.history));
    fitted.best_epochs.push_back(trained.best_epoch);
    ensemble->add(std::make_shared<glia::nn::Sequential>(std::move(trained.net)));
  }
  const int size = r.image_size;
  fitted.net = glia::nn::Sequential({3, size, size});
  if (r.models == 1) {
    fitted.net.add(ensemble->branch(0));
  } else {
    fitted.net.add(ensemble);
  }
  if (r.calibrate) {
    // Temperature scaling: the logit divided by T, as a last Dense(1, 1) of weight 1 / T.
    std::vector<int> labels;
    for (int i : split.val) labels.push_back(items[static_cast<size_t>(i)].ref.label);
    fitted.temperature =
        glia::metrics::fit_temperature(predict_logits(fitted.net, r, items, split.val), labels);
    auto scale = std::make_shared<glia::nn::Dense>(1, 1, false);
    scale->weight().data()[0] = static_cast<float>(1.0 / fitted.temperature);
    fitted.net.add(scale);
  }
  fitted.net.eval();
  if (combined) glia::save(fitted.net, plan.best_path);
  return fitted;
}

std::vector<float> predict_logits(glia::nn::Module& net, const Recipe& recipe,
                                  const std::vector<Prepared>& items,
                                  const std::vector<int>& indices) {
  const ScanDataset set(items, indices);
  const glia::train::Predictions p =
      glia::train::predict_with_flips(net, set, {recipe.flip_tta, recipe.vflip_tta});
  return std::vector<float>(p.logits.data(), p.logits.data() + p.logits.numel());
}

// One fold: the recipe trained on the other folds' groups, its test originals predicted.
glia::train::FoldOutcome fit_fold(const glia::train::FoldContext& fold, const Split& split,
                                  const Recipe& recipe, AugmentMode augment, long seed,
                                  const std::vector<Prepared>& items) {
  const glia::Stopwatch clock;
  TrainingPlan plan;
  plan.recipe = recipe;
  plan.augment = augment;
  plan.seed = static_cast<uint64_t>(seed) * 1000 + static_cast<uint64_t>(fold.fold) + 1;
  plan.best_path = (std::filesystem::path(fold.dir) / "best.glia").string();
  plan.state_path = (std::filesystem::path(fold.dir) / "state.glia").string();
  plan.resume = fold.resume;
  plan.data_parallel = false;  // under mpirun each rank trains whole folds
  plan.on_epoch = [&](int64_t network, const glia::train::EpochLog& log) {
    const std::string which =
        recipe.models > 1 ? " network " + std::to_string(network + 1) : std::string();
    std::printf(
        "  fold %d%s epoch %lld/%lld  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  %.0fs\n",
        fold.fold + 1, which.c_str(), static_cast<long long>(log.epoch),
        static_cast<long long>(recipe.epochs), log.loss, log.accuracy, log.val_loss,
        log.val_accuracy, log.seconds);
    std::fflush(stdout);
  };
  FittedModel model = fit_recipe(items, split, plan);
  glia::train::FoldOutcome outcome;
  outcome.logits = predict_logits(model.net, recipe, items, split.test_originals);
  write_histories(fold.dir, model.histories, false);
  const glia::train::EpochLog& kept =
      model.histories[0][static_cast<size_t>(model.best_epochs[0] - 1)];
  outcome.report = Json{{"fold", fold.fold + 1},
                        {"counts",
                         {{"train", split.train.size()},
                          {"val", split.val.size()},
                          {"test_original_scans", split.test_originals.size()}}},
                        {"best_epoch", model.best_epochs[0]},
                        {"best_epochs", model.best_epochs},
                        {"temperature", model.temperature},
                        {"val", metrics_json(kept.val_binary)},
                        {"test_original_scans_metrics",
                         Json::parse(glia::metrics::binary_report_json(
                             outcome.logits, labels_of(items, split.test_originals)))},
                        {"seconds", clock.seconds()}}
                       .dump();
  return outcome;
}

}  // namespace brain_tumor
