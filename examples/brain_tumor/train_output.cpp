#include "train_output.hpp"

#include <unistd.h>

#include <cstdio>

#include <glia/dist/dist.hpp>
#include <glia/glia.hpp>
#include <glia/support/resources.hpp>

#include "cli.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace brain_tumor {

void print_setup(const TrainOptions& o, const RunData& run, const Split& split, bool resume) {
  std::printf("%s\n", run.description.c_str());
  if (run.prepared.no_contour)
    std::printf("note: no brain contour found in %s; kept whole\n",
                count_of(run.prepared.no_contour, "image").c_str());
  std::printf("recipe %s, split %s (seed %ld), augment %s: train %zu, val %zu, test %zu",
              o.recipe.c_str(), name_of(o.split).c_str(), o.seed, name_of(o.augment).c_str(),
              split.train.size(), split.val.size(), split.test.size());
  if (o.split == SplitMode::grouped) {
    const int exact = split.merges_of("exact");
    std::printf(
        ", test original scans %zu; %s, %s and %s merged", split.test_originals.size(),
        count_of(split.groups, "scan group").c_str(), count_of(exact, "identical scan").c_str(),
        count_of(static_cast<long>(split.merges.size()) - exact, "near-duplicate scan").c_str());
  } else {
    std::printf(
        "\nwarning: the paper split shuffles augmented copies, so copies of one scan sit in "
        "train and test; its test figures are optimistic (use --split grouped)");
  }
  std::printf("\nthreads %d (%s kernels), %s, batch %ld, lr %g%s\n", glia::num_threads(),
              o.isa.c_str(), count_of(o.epochs, "epoch").c_str(), o.batch, o.lr,
              resume ? ", resuming" : "");
  if (glia::dist::world_size() > 1)
    std::printf(
        "data-parallel over %d ranks (mpirun): batch %ld per rank, gradients averaged, "
        "batch norm synchronised; only rank 0 writes\n",
        glia::dist::world_size(), o.batch / glia::dist::world_size());
  std::fflush(stdout);
}

void show_progress(TrainingPlan& plan, size_t train_size, int64_t networks) {
  auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
  const bool interactive = isatty(STDOUT_FILENO);
  plan.on_batch = [=](int64_t network, const glia::train::Progress& p) {
    if (p.batch == 1 && p.epoch == 1 && networks > 1)
      std::printf("network %lld of %lld\n", static_cast<long long>(network + 1),
                  static_cast<long long>(networks));
    if (p.batch == 1) {
      std::printf("Epoch %lld/%lld\n", static_cast<long long>(p.epoch),
                  static_cast<long long>(p.epochs));
      std::fflush(stdout);
      *bar = std::make_unique<ProgressBar>(p.total_examples, interactive);
    }
    (*bar)->update(p.examples, p.loss, p.accuracy);
  };
  plan.on_epoch = [=](int64_t, const glia::train::EpochLog& log) {
    char line[256];
    std::snprintf(line, sizeof(line),
                  "%zu/%zu - %.0fs - loss: %.4f - acc: %.4f - val_loss: %.4f - val_acc: %.4f",
                  train_size, train_size, log.seconds, log.loss, log.accuracy, log.val_loss,
                  log.val_accuracy);
    if (*bar) (*bar)->finish(line);
  };
}

void print_results(const TrainOptions& o, const Recipe& recipe, const FittedModel& model,
                   const Tested& tested, const std::string& best_path) {
  const glia::train::EpochLog& kept =
      model.histories[0][static_cast<size_t>(model.best_epochs[0] - 1)];
  if (recipe.monitor == Monitor::last) {
    std::printf("kept the last epoch, weights in %s\n", best_path.c_str());
  } else {
    std::printf("best epoch %lld (%s %.4f), weights in %s\n",
                static_cast<long long>(model.best_epochs[0]), name_of(recipe.monitor).c_str(),
                recipe.monitor == Monitor::val_loss ? kept.val_loss : kept.val_accuracy,
                best_path.c_str());
  }
  if (recipe.calibrate) std::printf("temperature %.4f (fitted on val)\n", model.temperature);
  auto print = [](const char* name, const glia::metrics::BinaryMetrics& m) {
    std::printf(
        "%-20s acc %.4f  f1 %.4f  precision %.4f  recall %.4f  auc %.4f  [[%lld %lld] [%lld "
        "%lld]]  n=%lld\n",
        name, m.accuracy, m.f1, m.precision, m.recall, m.roc_auc, static_cast<long long>(m.tn),
        static_cast<long long>(m.fp), static_cast<long long>(m.fn), static_cast<long long>(m.tp),
        static_cast<long long>(m.count));
  };
  print("val (kept epoch)", kept.val_binary);
  print("test", tested.test);
  if (o.split == SplitMode::grouped) print("test original scans", tested.test_originals);
}

void write_outputs(const RunFolder& folder, const TrainOptions& o, const RunData& run,
                   const Split& split, const FittedModel& model, const Tested& tested,
                   double wall) {
  write_histories(folder.dir(), model.histories, true);
  const bool grouped = o.split == SplitMode::grouped;
  Json report = Json::parse(nlohmann::json(o).dump());
  report["data"] = o.data.empty() ? std::string("built-in synthetic") : o.data;
  report["counts"] = {
      {"train", split.train.size()}, {"val", split.val.size()}, {"test", split.test.size()}};
  if (grouped) {
    report["counts"]["test_original_scans"] = split.test_originals.size();
    report["counts"]["groups"] = split.groups;
    report["counts"]["duplicate_scans_merged"] = merge_counts_json(split.merges);
    report["counts"]["groups_with_both_labels"] = split.label_conflicts;
  }
  report["best_epoch"] = model.best_epochs[0];
  if (model.best_epochs.size() > 1) report["best_epochs"] = model.best_epochs;
  report["temperature"] = model.temperature;
  report["val"] =
      metrics_json(model.histories[0][static_cast<size_t>(model.best_epochs[0] - 1)].val_binary);
  report["test"] = metrics_json(tested.test);
  if (grouped) report["test_original_scans"] = metrics_json(tested.test_originals);
  report["skipped_files"] = Json::array();
  for (const SkippedFile& s : run.prepared.skipped)
    report["skipped_files"].push_back({{"file", s.relative}, {"reason", s.reason}});
  report["skipped_count"] = run.prepared.skipped.size();
  report["no_contour_count"] = run.prepared.no_contour;
  Json seconds = Json::array();
  for (const glia::train::History& h : model.histories)
    for (const glia::train::EpochLog& r : h) seconds.push_back(r.seconds);
  report["epoch_seconds"] = seconds;
  report["wall_seconds"] = wall;
  report["peak_memory_mb"] = glia::peak_memory_mb();
  if (!grouped)
    report["note"] =
        "paper split: augmented copies of one scan are in train and test, so test figures are "
        "optimistic";
  glia::io::write_file_atomically(folder.file("report.json"), report.dump(2) + "\n");
}

}  // namespace brain_tumor
