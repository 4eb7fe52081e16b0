#include "training.hpp"

#include <set>
#include <string>

#include <glia/glia.hpp>

#include "distributed.hpp"
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
  const bool transform =
      plan.augment == "online" || (plan.augment == "folder" && r.transform_copies);
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
  const bool keep_last = r.monitor == "last";
  auto checkpoint = std::make_shared<glia::train::ModelCheckpoint>(
      plan.best_path, keep_last ? "val_loss" : r.monitor);
  trainer.add_callback(checkpoint);
  trainer.add_callback(std::make_shared<glia::train::LambdaCallback>(
      [&](const glia::train::EpochLog& log) {
        if (plan.on_epoch) plan.on_epoch(log);
      },
      [&](const glia::train::Progress& p) {
        if (plan.on_batch) plan.on_batch(p);
      }));
  // Under mpirun: each rank a part of every batch, gradients averaged (a no-op alone).
  if (plan.data_parallel) make_data_parallel(result.net, train_options, trainer);
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

std::vector<float> predict_logits(glia::nn::Module& net, const Recipe& recipe,
                                  const std::vector<Prepared>& items,
                                  const std::vector<int>& indices) {
  auto run = [&](bool mirrored, bool upside_down) {
    ScanView view;
    view.mirrored = mirrored;
    view.upside_down = upside_down;
    ScanDataset set(items, indices, nullptr, view);
    glia::data::DataLoaderOptions options;
    options.batch_size = 32;
    glia::data::DataLoader loader(set, options);
    const glia::train::Predictions p = glia::train::predict(net, loader);
    return std::vector<float>(p.logits.data(), p.logits.data() + p.logits.numel());
  };
  std::vector<float> logits(indices.size(), 0.0f);
  int views = 0;
  for (bool upside_down : {false, true}) {
    if (upside_down && !recipe.vflip_tta) continue;
    for (bool mirrored : {false, true}) {
      if (mirrored && !recipe.flip_tta) continue;
      const std::vector<float> view = run(mirrored, upside_down);
      for (size_t i = 0; i < logits.size(); ++i) logits[i] += view[i];
      ++views;
    }
  }
  for (float& z : logits) z /= static_cast<float>(views);
  return logits;
}

}  // namespace brain_tumor
