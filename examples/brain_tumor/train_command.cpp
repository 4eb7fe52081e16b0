// brain_tumor train: the seed's training run, with a leak-free split by default.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include <glia/glia.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "scan_dataset.hpp"
#include "seed_network.hpp"
#include "synthetic.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

struct TrainOptions {
  std::string data, split = "grouped", augment, out;
  long epochs = 0;  // 0: the default for the data (24, or 8 on the built-in set)
  long batch = 32;
  double lr = 1e-3;
  long seed = 1;
  bool force = false, strict = false;
  int threads = 0;
};

struct Sets {
  PreparedSet prepared;
  Split split;
  std::string description;
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string default_out(const std::string& split, long seed) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + split + "-seed" + std::to_string(seed) + "-" + stamp;
}

// Loads the images, preprocesses them into the cache, and splits them.
Sets load_sets(const TrainOptions& o, uint64_t seed) {
  Sets sets;
  std::vector<ImageRef> refs;
  std::vector<Image> generated;
  if (!o.data.empty()) {
    Catalog catalog = scan_data_dir(o.data);
    if (o.augment == "folder" && catalog.augmented.empty()) {
      throw DataError("--augment folder needs '" + o.data + "/augmented data/{yes,no}'");
    }
    // The paper split on the saved copies never looks at the originals: skip decoding them.
    if (!(o.augment == "folder" && o.split == "paper")) refs = catalog.originals;
    if (o.augment == "folder")
      refs.insert(refs.end(), catalog.augmented.begin(), catalog.augmented.end());
    sets.description = "data " + o.data + ": " +
                       count_of(static_cast<long>(catalog.originals.size()), "scan") + ", " +
                       count_of(static_cast<long>(catalog.augmented.size()), "augmented image");
  } else {
    SyntheticSet synthetic = make_synthetic_set(100, seed);
    refs = synthetic.refs;
    generated = std::move(synthetic.images);
    sets.description =
        "built-in synthetic data: " + count_of(static_cast<long>(refs.size()), "generated scan") +
        " (use --data DIR for real images)";
  }
  sets.prepared = prepare_images(refs, o.strict, generated);

  std::vector<int> original_items, augmented_items;
  for (size_t i = 0; i < sets.prepared.items.size(); ++i) {
    (sets.prepared.items[i].ref.augmented ? augmented_items : original_items)
        .push_back(static_cast<int>(i));
  }
  const std::vector<int>& pool = o.augment == "folder" ? augmented_items : original_items;
  if (o.split == "paper") {
    sets.split = paper_split(pool, seed);
  } else {
    sets.split = grouped_split(sets.prepared.items, pool, original_items, seed);
  }
  if (sets.split.train.empty() || sets.split.val.empty() || sets.split.test.empty()) {
    throw DataError("too few images to split into train, validation and test");
  }
  // Release the cached pixels of images no part of the split uses (originals that only served
  // to group the copies): a few tens of MB of the run's peak memory.
  std::vector<bool> used(sets.prepared.items.size(), false);
  for (const auto* part :
       {&sets.split.train, &sets.split.val, &sets.split.test, &sets.split.test_originals}) {
    for (int i : *part) used[static_cast<size_t>(i)] = true;
  }
  for (size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) Image().pixels.swap(sets.prepared.items[i].image.pixels);
  }
  return sets;
}

std::string epoch_line(const glia::train::EpochLog& r, size_t images) {
  char line[256];
  std::snprintf(line, sizeof(line),
                "%zu/%zu - %.0fs - loss: %.4f - acc: %.4f - val_loss: %.4f - val_acc: %.4f", images,
                images, r.seconds, r.loss, r.accuracy, r.val_loss, r.val_accuracy);
  return line;
}

void print_metrics(const char* name, const glia::metrics::BinaryMetrics& m) {
  std::printf(
      "%-20s acc %.4f  f1 %.4f  precision %.4f  recall %.4f  auc %.4f  [[%lld %lld] [%lld %lld]]  "
      "n=%lld\n",
      name, m.accuracy, m.f1, m.precision, m.recall, m.roc_auc, static_cast<long long>(m.tn),
      static_cast<long long>(m.fp), static_cast<long long>(m.fn), static_cast<long long>(m.tp),
      static_cast<long long>(m.count));
}

// The Keras-like display: "Epoch e/E", a progress bar on a terminal, one line per epoch.
class KerasProgress : public glia::train::Callback {
 public:
  explicit KerasProgress(size_t images) : images_(images), interactive_(isatty(STDOUT_FILENO)) {}
  void on_epoch_begin(glia::train::Trainer&, int64_t epoch) override {
    std::printf("Epoch %lld/%lld\n", static_cast<long long>(epoch),
                static_cast<long long>(epochs_));
    std::fflush(stdout);
    bar_ = std::make_unique<ProgressBar>(images_, interactive_);
  }
  void on_batch_end(glia::train::Trainer&, const glia::train::Progress& p) override {
    epochs_ = p.epochs;
    bar_->update(p.examples, p.loss, p.accuracy);
  }
  void on_epoch_end(glia::train::Trainer&, const glia::train::EpochLog& log) override {
    bar_->finish(epoch_line(log, images_));
  }
  void set_epochs(int64_t epochs) { epochs_ = epochs; }

 private:
  size_t images_;
  bool interactive_;
  int64_t epochs_ = 0;
  std::unique_ptr<ProgressBar> bar_;
};

glia::metrics::BinaryMetrics evaluate_on(glia::train::Trainer& trainer, const Sets& sets,
                                         const std::vector<int>& part) {
  ScanDataset dataset(sets.prepared.items, part);
  glia::data::DataLoaderOptions options;
  options.batch_size = 32;
  glia::data::DataLoader loader(dataset, options);
  const glia::train::Predictions p = trainer.predict(loader);
  return glia::metrics::binary_metrics(
      std::vector<float>(p.logits.data(), p.logits.data() + p.logits.numel()), p.labels);
}

int run_train(const TrainOptions& options) {
  TrainOptions o = options;
  const bool synthetic = o.data.empty();
  if (o.epochs == 0) o.epochs = synthetic ? 8 : 24;
  if (!synthetic && !fs::is_directory(o.data)) {
    throw DataError("data folder '" + o.data + "' does not exist");
  }
  if (o.augment.empty()) {
    o.augment =
        !synthetic && fs::is_directory(fs::path(o.data) / "augmented data") ? "folder" : "online";
  }
  apply_threads(o.threads);
  const std::string out = o.out.empty() ? default_out(o.split, o.seed) : o.out;
  if (fs::exists(out) && !fs::is_directory(out)) {
    throw DataError("--out '" + out + "' is a file, not a folder");
  }
  if (fs::exists(out) && !fs::is_empty(out) && !o.force) {
    throw DataError("output folder '" + out +
                    "' already holds files; choose another --out or add --force");
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const uint64_t seed = static_cast<uint64_t>(o.seed);
  glia::manual_seed(seed);

  Sets sets = load_sets(o, seed);
  const std::vector<Prepared>& items = sets.prepared.items;
  for (const SkippedFile& s : sets.prepared.skipped) {
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  }
  std::printf("%s\n", sets.description.c_str());
  if (sets.prepared.no_contour) {
    std::printf("note: no brain contour found in %s; kept whole\n",
                count_of(sets.prepared.no_contour, "image").c_str());
  }
  std::printf("split %s (seed %ld), augment %s: train %zu, val %zu, test %zu", o.split.c_str(),
              o.seed, o.augment.c_str(), sets.split.train.size(), sets.split.val.size(),
              sets.split.test.size());
  const bool grouped = o.split == "grouped";
  if (grouped) {
    std::printf(", test original scans %zu; %s, %s merged", sets.split.test_originals.size(),
                count_of(sets.split.groups, "scan group").c_str(),
                count_of(sets.split.duplicate_merges, "duplicate scan").c_str());
  }
  std::printf("\n");
  if (!grouped) {
    std::printf(
        "warning: the paper split shuffles augmented copies, so copies of one scan sit in "
        "train and test; its test figures are optimistic (use --split grouped)\n");
  }
  std::printf("threads %d, %s, batch %ld, lr %g\n", glia::num_threads(),
              count_of(o.epochs, "epoch").c_str(), o.batch, o.lr);
  std::fflush(stdout);

  fs::create_directories(out);
  const std::string best_path = (fs::path(out) / "best.glia").string();
  glia::nn::Sequential net = seed_network();
  glia::optim::Adam opt(net.parameters(),
                        glia::optim::AdamOptions{static_cast<float>(o.lr), 0.9f, 0.999f, 1e-7f});

  AugmentPlan plan;
  plan.seed = seed;
  ScanDataset train_set(items, sets.split.train, o.augment == "online" ? &plan : nullptr);
  ScanDataset val_set(items, sets.split.val);
  glia::data::DataLoaderOptions train_options;
  train_options.batch_size = o.batch;
  train_options.shuffle = true;
  // The shuffle stream of the seed recipe since glia's first release: one generator, seeded
  // like this, shuffling the previous epoch's order (DataLoader's rule).
  train_options.seed = seed ^ 0x5DEECE66Dull;
  glia::data::DataLoader train_loader(train_set, train_options);
  glia::data::DataLoaderOptions val_options;
  val_options.batch_size = 32;
  glia::data::DataLoader val_loader(val_set, val_options);

  glia::train::Trainer trainer(net, opt, glia::train::Task::binary);
  auto checkpoint = std::make_shared<glia::train::ModelCheckpoint>(best_path, "val_accuracy");
  auto progress = std::make_shared<KerasProgress>(train_set.size());
  progress->set_epochs(o.epochs);
  trainer.add_callback(checkpoint);
  trainer.add_callback(progress);
  const glia::train::History history = trainer.fit(train_loader, &val_loader, o.epochs);

  // Test the best-validation checkpoint, as the seed did.
  glia::load(net, best_path);
  const glia::metrics::BinaryMetrics test = evaluate_on(trainer, sets, sets.split.test);
  glia::metrics::BinaryMetrics test_originals;
  if (grouped) test_originals = evaluate_on(trainer, sets, sets.split.test_originals);
  const glia::metrics::BinaryMetrics best_val =
      history[static_cast<size_t>(checkpoint->best_epoch() - 1)].val_binary;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::printf("best epoch %lld (val_acc %.4f), weights in %s\n",
              static_cast<long long>(checkpoint->best_epoch()), checkpoint->best(),
              best_path.c_str());
  print_metrics("val (best epoch)", best_val);
  print_metrics("test", test);
  if (grouped) print_metrics("test original scans", test_originals);
  std::printf("wall time %.1f s, peak memory %.0f MB\n", wall, peak_rss_mb());

  std::vector<double> loss, val_loss, acc, val_acc;
  for (const glia::train::EpochLog& r : history) {
    loss.push_back(r.loss);
    val_loss.push_back(r.val_loss);
    acc.push_back(r.accuracy);
    val_acc.push_back(r.val_accuracy);
  }
  const fs::path dir(out);
  glia::io::write_file_atomically((dir / "history.csv").string(), history_csv(history));
  glia::io::write_file_atomically((dir / "loss.svg").string(),
                                  learning_curve_svg("Loss", "loss", loss, val_loss));
  glia::io::write_file_atomically((dir / "accuracy.svg").string(),
                                  learning_curve_svg("Accuracy", "accuracy", acc, val_acc));

  Json report;
  report["split"] = o.split;
  report["seed"] = o.seed;
  report["epochs"] = o.epochs;
  report["batch"] = o.batch;
  report["lr"] = o.lr;
  report["augment"] = o.augment;
  report["data"] = synthetic ? std::string("built-in synthetic") : o.data;
  report["threads"] = glia::num_threads();
  Json counts;
  counts["train"] = sets.split.train.size();
  counts["val"] = sets.split.val.size();
  counts["test"] = sets.split.test.size();
  if (grouped) {
    counts["test_original_scans"] = sets.split.test_originals.size();
    counts["groups"] = sets.split.groups;
    counts["duplicate_scans_merged"] = sets.split.duplicate_merges;
  }
  report["counts"] = counts;
  report["best_epoch"] = checkpoint->best_epoch();
  report["val"] = metrics_json(best_val);
  report["test"] = metrics_json(test);
  if (grouped) report["test_original_scans"] = metrics_json(test_originals);
  Json skipped = Json::array();
  for (const SkippedFile& s : sets.prepared.skipped) {
    skipped.push_back({{"file", s.relative}, {"reason", s.reason}});
  }
  report["skipped_files"] = skipped;
  report["skipped_count"] = sets.prepared.skipped.size();
  report["no_contour_count"] = sets.prepared.no_contour;
  report["wall_seconds"] = wall;
  report["peak_memory_mb"] = peak_rss_mb();
  if (!grouped) {
    report["note"] =
        "paper split: augmented copies of one scan are in train and test, so test figures are "
        "optimistic";
  }
  glia::io::write_file_atomically((dir / "report.json").string(), report.dump(2) + "\n");
  std::printf("wrote %s/{history.csv, loss.svg, accuracy.svg, best.glia, report.json}\n",
              out.c_str());
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* cmd =
      app.add_subcommand("train", "train a network on the scans (the seed recipe by default)");
  cmd->footer(
      "Train the seed network (Adam, binary cross-entropy) and keep the weights with the best "
      "validation accuracy. Without --data it trains on a built-in synthetic data set.");
  cmd->add_option("--data", options->data,
                  "DIR/yes and DIR/no (Kaggle layout); DIR/augmented data/{yes,no} is used by "
                  "--augment folder");
  cmd->add_option("--split", options->split,
                  "grouped: split by source scan, duplicates merged, no leakage; paper: shuffle "
                  "all images and split 70/15/15, as the seed did")
      ->check(CLI::IsMember({"grouped", "paper"}))
      ->capture_default_str();
  cmd->add_option("--epochs", options->epochs, "epochs (default 24, or 8 on the built-in data)")
      ->check(whole_number(1, 100000));
  cmd->add_option("--batch", options->batch, "batch size")
      ->check(whole_number(1, 4096))
      ->capture_default_str();
  cmd->add_option("--lr", options->lr, "Adam learning rate")
      ->check(real_number(0.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "shuffling, splitting, initial weights and augmentation")
      ->check(whole_number(0, 1L << 40))
      ->capture_default_str();
  cmd->add_option("--augment", options->augment,
                  "folder (default when DIR/augmented data exists): the seed's saved copies; "
                  "online (default otherwise): random Keras-style transforms every epoch; none: "
                  "the preprocessed originals only")
      ->check(CLI::IsMember({"none", "folder", "online"}));
  cmd->add_option("--out", options->out, "output folder (default runs/<split>-seed<N>-<time>)");
  cmd->add_flag("--force", options->force, "write into --out even if it already holds files");
  cmd->add_flag("--strict", options->strict,
                "stop at the first unreadable image instead of skipping it");
  add_threads_option(*cmd, options->threads);
  return {cmd, [options] { return run_train(*options); }};
}

}  // namespace brain_tumor
