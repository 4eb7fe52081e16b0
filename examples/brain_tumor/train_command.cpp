// brain_tumor train: one training run of a recipe, with a leak-free split by default.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "distributed.hpp"
#include "duplicates.hpp"
#include "progress.hpp"
#include "recipes.hpp"
#include "report.hpp"
#include "run_folder.hpp"
#include "synthetic.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

struct TrainOptions {
  std::string recipe = "seed", data, split = "grouped", augment, out, resume;
  std::vector<std::string> settings;  // --set name=value
  DuplicateSettings duplicates;       // the grouped split's merging of duplicate scans
  long epochs = 0, batch = 0;         // 0: the recipe's (and 8 epochs on the built-in data)
  double lr = 0;                      // 0: the recipe's
  long seed = 1;
  bool force = false, strict = false;
  int threads = 0;
  std::string isa;  // recorded for --resume: the same kernels give the same sums
};

Json to_json(const TrainOptions& o) {
  return Json{{"recipe", o.recipe},
              {"settings", o.settings},
              {"data", o.data},
              {"split", o.split},
              {"augment", o.augment},
              {"epochs", o.epochs},
              {"batch", o.batch},
              {"lr", o.lr},
              {"seed", o.seed},
              {"strict", o.strict},
              {"threads", o.threads},
              {"isa", o.isa},
              {"duplicates", duplicate_settings_json(o.duplicates)}};
}

DuplicateSettings duplicates_from_json(const Json& j) {
  DuplicateSettings d;
  d.mode = j.at("mode");
  d.groups_file = j.value("groups_file", std::string());
  if (j.contains("thresholds")) {
    const Json& t = j.at("thresholds");
    d.thresholds.phash = t.at("phash");
    d.thresholds.dhash = t.at("dhash");
    d.thresholds.joint_phash = t.at("hashes").at(0);
    d.thresholds.joint_dhash = t.at("hashes").at(1);
    d.thresholds.ncc = t.at("ncc");
    d.thresholds.ncc_candidates = t.at("ncc_candidates");
    d.thresholds.flips = t.at("flips");
  }
  return d;
}

TrainOptions from_json(const Json& j, const std::string& dir) {
  TrainOptions o;
  try {
    o.recipe = j.at("recipe");
    o.settings = j.value("settings", std::vector<std::string>{});  // none before glia 0.3
    o.data = j.at("data");
    o.split = j.at("split");
    o.augment = j.at("augment");
    o.epochs = j.at("epochs");
    o.batch = j.at("batch");
    o.lr = j.at("lr");
    o.seed = j.at("seed");
    o.strict = j.at("strict");
    o.threads = j.at("threads");
    o.isa = j.at("isa");
    // Runs before glia 0.3 merged identical scans only.
    if (j.contains("duplicates")) {
      o.duplicates = duplicates_from_json(j.at("duplicates"));
    } else {
      o.duplicates.mode = "exact";
    }
  } catch (const std::exception& e) {
    throw DataError("cannot resume '" + dir + "': run.json: " + e.what());
  }
  o.out = dir;
  return o;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string default_out(const std::string& recipe, const std::string& split, long seed) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + recipe + "-" + split + "-seed" + std::to_string(seed) + "-" + stamp;
}

struct Sets {
  PreparedSet prepared;
  Split split;
  std::string description;
};

// Loads the images, preprocesses them into the cache, and splits them.
Sets load_sets(const TrainOptions& o, const Recipe& recipe, uint64_t seed) {
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
  sets.prepared = prepare_images(refs, o.strict, generated, recipe.image_size);

  std::vector<int> original_items, augmented_items;
  for (size_t i = 0; i < sets.prepared.items.size(); ++i) {
    (sets.prepared.items[i].ref.augmented ? augmented_items : original_items)
        .push_back(static_cast<int>(i));
  }
  std::vector<int> pool = o.augment == "folder" ? augmented_items : original_items;
  if (o.augment == "folder" && recipe.train_originals)
    pool.insert(pool.end(), original_items.begin(), original_items.end());
  if (o.split == "paper") {
    sets.split = paper_split(pool, seed);
  } else {
    const std::vector<ScanLink> links =
        find_duplicate_scans(sets.prepared.items, original_items, o.duplicates);
    sets.split = grouped_split(sets.prepared.items, pool, original_items, seed, links);
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

void print_metrics(const char* name, const glia::metrics::BinaryMetrics& m) {
  std::printf(
      "%-20s acc %.4f  f1 %.4f  precision %.4f  recall %.4f  auc %.4f  [[%lld %lld] [%lld %lld]]  "
      "n=%lld\n",
      name, m.accuracy, m.f1, m.precision, m.recall, m.roc_auc, static_cast<long long>(m.tn),
      static_cast<long long>(m.fp), static_cast<long long>(m.fn), static_cast<long long>(m.tp),
      static_cast<long long>(m.count));
}

std::vector<int> labels_of(const std::vector<Prepared>& items, const std::vector<int>& part) {
  std::vector<int> labels;
  for (int i : part) labels.push_back(items[static_cast<size_t>(i)].ref.label);
  return labels;
}

// The recipe with the options applied; fills the options' defaults from it (run.json records
// what the run used).
Recipe resolve_recipe(TrainOptions& o) {
  Recipe recipe = recipe_with(o.recipe, o.settings);
  const bool synthetic = o.data.empty();
  if (!synthetic && !fs::is_directory(o.data)) {
    throw DataError("data folder '" + o.data + "' does not exist");
  }
  if (o.epochs) recipe.epochs = o.epochs;
  if (!o.epochs && synthetic) recipe.epochs = 8;
  if (o.batch) recipe.batch = o.batch;
  if (o.lr > 0) recipe.lr = static_cast<float>(o.lr);
  o.epochs = recipe.epochs;
  o.batch = recipe.batch;
  o.lr = recipe.lr;
  if (o.duplicates.mode == "auto") o.duplicates.mode = synthetic ? "exact" : "near";
  if (o.duplicates.mode == "exact" && !o.duplicates.groups_file.empty()) {
    throw UsageError("--groups needs --duplicates near");
  }
  if (o.augment.empty()) {
    o.augment = recipe.augment;
    if (o.augment == "folder" &&
        (synthetic || !fs::is_directory(fs::path(o.data) / "augmented data")))
      o.augment = "online";
  }
  return recipe;
}

void print_setup(const TrainOptions& o, const Sets& sets, bool resume) {
  for (const SkippedFile& s : sets.prepared.skipped) {
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  }
  std::printf("%s\n", sets.description.c_str());
  if (sets.prepared.no_contour) {
    std::printf("note: no brain contour found in %s; kept whole\n",
                count_of(sets.prepared.no_contour, "image").c_str());
  }
  std::printf("recipe %s, split %s (seed %ld), augment %s: train %zu, val %zu, test %zu",
              o.recipe.c_str(), o.split.c_str(), o.seed, o.augment.c_str(), sets.split.train.size(),
              sets.split.val.size(), sets.split.test.size());
  if (o.split == "grouped") {
    const int exact = sets.split.merges_of("exact");
    std::printf(", test original scans %zu; %s, %s and %s merged", sets.split.test_originals.size(),
                count_of(sets.split.groups, "scan group").c_str(),
                count_of(exact, "identical scan").c_str(),
                count_of(static_cast<long>(sets.split.merges.size()) - exact, "near-duplicate scan")
                    .c_str());
  }
  std::printf("\n");
  if (o.split != "grouped") {
    std::printf(
        "warning: the paper split shuffles augmented copies, so copies of one scan sit in "
        "train and test; its test figures are optimistic (use --split grouped)\n");
  }
  std::printf("threads %d (%s kernels), %s, batch %ld, lr %g%s\n", glia::num_threads(),
              o.isa.c_str(), count_of(o.epochs, "epoch").c_str(), o.batch, o.lr,
              resume ? ", resuming" : "");
  if (ranks() > 1)
    std::printf(
        "data-parallel over %d ranks (mpirun): batch %ld per rank, gradients averaged, "
        "batch norm synchronised; only rank 0 writes\n",
        ranks(), static_cast<long>(o.batch / ranks()));
  std::fflush(stdout);
}

// Keras-style progress: "Epoch 3/24", a bar during the epoch, the epoch's figures after it.
void show_progress(TrainingPlan& plan, size_t train_size, int64_t networks) {
  auto bar = std::make_shared<std::unique_ptr<ProgressBar>>();
  const bool interactive = isatty(STDOUT_FILENO);
  plan.on_batch = [=](int64_t network, const glia::train::Progress& p) {
    if (p.batch == 1 && p.epoch == 1 && networks > 1) {
      std::printf("network %lld of %lld\n", static_cast<long long>(network + 1),
                  static_cast<long long>(networks));
    }
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

struct Tested {
  glia::metrics::BinaryMetrics test, test_originals;
};

// history.csv, the learning curves and report.json of a finished run.
void write_outputs(const RunFolder& folder, const TrainOptions& o, const Sets& sets,
                   const FittedModel& model, const Tested& tested, double wall) {
  const glia::train::History& history = model.histories[0];
  std::vector<double> loss, val_loss, acc, val_acc, seconds;
  for (const FittedModel::History& h : model.histories) {
    for (const glia::train::EpochLog& r : h) seconds.push_back(r.seconds);
  }
  for (const glia::train::EpochLog& r : history) {
    loss.push_back(r.loss);
    val_loss.push_back(r.val_loss);
    acc.push_back(r.accuracy);
    val_acc.push_back(r.val_accuracy);
  }
  for (size_t k = 0; k < model.histories.size(); ++k) {
    const std::string name = k == 0 ? "history.csv" : "history-" + std::to_string(k + 1) + ".csv";
    glia::io::write_file_atomically(folder.file(name), history_csv(model.histories[k]));
  }
  glia::io::write_file_atomically(folder.file("loss.svg"),
                                  learning_curve_svg("Loss", "loss", loss, val_loss));
  glia::io::write_file_atomically(folder.file("accuracy.svg"),
                                  learning_curve_svg("Accuracy", "accuracy", acc, val_acc));

  const bool grouped = o.split == "grouped";
  Json report = to_json(o);
  report["data"] = o.data.empty() ? std::string("built-in synthetic") : o.data;
  Json counts;
  counts["train"] = sets.split.train.size();
  counts["val"] = sets.split.val.size();
  counts["test"] = sets.split.test.size();
  if (grouped) {
    counts["test_original_scans"] = sets.split.test_originals.size();
    counts["groups"] = sets.split.groups;
    counts["duplicate_scans_merged"] = merge_counts_json(sets.split.merges);
    counts["groups_with_both_labels"] = sets.split.label_conflicts;
  }
  report["counts"] = counts;
  report["best_epoch"] = model.best_epochs[0];
  if (model.best_epochs.size() > 1) report["best_epochs"] = model.best_epochs;
  report["temperature"] = model.temperature;
  report["val"] = metrics_json(history[static_cast<size_t>(model.best_epochs[0] - 1)].val_binary);
  report["test"] = metrics_json(tested.test);
  if (grouped) report["test_original_scans"] = metrics_json(tested.test_originals);
  Json skipped = Json::array();
  for (const SkippedFile& s : sets.prepared.skipped) {
    skipped.push_back({{"file", s.relative}, {"reason", s.reason}});
  }
  report["skipped_files"] = skipped;
  report["skipped_count"] = sets.prepared.skipped.size();
  report["no_contour_count"] = sets.prepared.no_contour;
  report["epoch_seconds"] = seconds;
  report["wall_seconds"] = wall;
  report["peak_memory_mb"] = peak_rss_mb();
  if (!grouped) {
    report["note"] =
        "paper split: augmented copies of one scan are in train and test, so test figures are "
        "optimistic";
  }
  glia::io::write_file_atomically(folder.file("report.json"), report.dump(2) + "\n");
}

int run_train(const TrainOptions& given) {
  TrainOptions o = given;
  const bool resume = !o.resume.empty();
  std::unique_ptr<ScratchFolder> scratch;
  if (ranks() > 1) {
    if (resume) throw UsageError("--resume is not supported under mpirun with several ranks");
    if (!is_root()) {
      scratch = std::make_unique<ScratchFolder>();
      o.out = scratch->path();
      o.force = true;
    }
  }
  std::unique_ptr<RunFolder> folder;
  if (resume) {
    folder = std::make_unique<RunFolder>(o.resume, true, false);
    o = from_json(folder->read_options(), o.resume);
    if (fs::exists(folder->file("report.json"))) {
      std::printf("the run in %s has finished; nothing to resume\n", o.out.c_str());
      return 0;
    }
    glia::set_isa(*glia::parse_isa(o.isa));
  }
  const Recipe recipe = resolve_recipe(o);
  apply_threads(o.threads);
  o.threads = glia::num_threads();
  o.isa = glia::isa_name(glia::active_isa());
  if (!resume) {
    if (o.out.empty()) o.out = default_out(o.recipe, o.split, o.seed);
    folder = std::make_unique<RunFolder>(o.out, false, o.force);
    folder->write_options(to_json(o));
  }
  const auto wall_start = std::chrono::steady_clock::now();
  const uint64_t seed = static_cast<uint64_t>(o.seed);
  glia::manual_seed(seed);

  const Sets sets = load_sets(o, recipe, seed);
  const std::vector<Prepared>& items = sets.prepared.items;
  print_setup(o, sets, resume);
  if (ranks() > 1) {
    // Every rank must train on the same data with the same settings.
    TrainOptions shared = o;
    shared.out.clear();
    std::string inputs = to_json(shared).dump();
    for (const Prepared& p : items)
      inputs += "\n" + p.ref.relative + "\t" + std::to_string(p.ref.label);
    require_agreement("the data and the options", inputs);
  }

  TrainingPlan plan;
  plan.recipe = recipe;
  plan.augment = o.augment;
  plan.seed = seed;
  plan.best_path = folder->file("best.glia");
  plan.state_path = folder->file("state.glia");
  plan.resume = resume;
  show_progress(plan, sets.split.train.size(), recipe.models);
  FittedModel model = fit_recipe(items, sets.split, plan);
  require_agreement("the trained weights", weights_fingerprint(model.net));

  // Test the kept weights (the best validation epoch's, for the seed recipe, as the seed did).
  auto metrics_on = [&](const std::vector<int>& part) {
    return glia::metrics::binary_metrics(predict_logits(model.net, recipe, items, part),
                                         labels_of(items, part));
  };
  Tested tested;
  tested.test = metrics_on(sets.split.test);
  if (o.split == "grouped") tested.test_originals = metrics_on(sets.split.test_originals);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const glia::train::EpochLog& kept =
      model.histories[0][static_cast<size_t>(model.best_epochs[0] - 1)];
  if (recipe.monitor == "last") {
    std::printf("kept the last epoch, weights in %s\n", plan.best_path.c_str());
  } else {
    std::printf("best epoch %lld (%s %.4f), weights in %s\n",
                static_cast<long long>(model.best_epochs[0]), recipe.monitor.c_str(),
                recipe.monitor == "val_loss" ? kept.val_loss : kept.val_accuracy,
                plan.best_path.c_str());
  }
  if (recipe.calibrate) std::printf("temperature %.4f (fitted on val)\n", model.temperature);
  print_metrics("val (kept epoch)", kept.val_binary);
  print_metrics("test", tested.test);
  if (o.split == "grouped") print_metrics("test original scans", tested.test_originals);
  std::printf("wall time %.1f s, peak memory %.0f MB\n", wall, peak_rss_mb());
  write_outputs(*folder, o, sets, model, tested, wall);
  std::printf("wrote %s/{history.csv, loss.svg, accuracy.svg, best.glia, report.json}\n",
              o.out.c_str());
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* cmd =
      app.add_subcommand("train", "train a network on the scans (the seed recipe by default)");
  cmd->footer(
      "Trains a recipe's network and keeps its best weights by validation. Without --data it "
      "trains on a built-in synthetic data set. A run writes a resumable state every epoch: "
      "'train --resume DIR' continues an interrupted run exactly.");
  std::vector<CLI::Option*> run_options;
  run_options.push_back(add_recipe_option(*cmd, options->recipe,
                                          "seed: the paper's network and settings; glia: this "
                                          "project's recipe (docs/results.md)"));
  run_options.push_back(cmd->add_option(
      "--data", options->data,
      "DIR/yes and DIR/no (Kaggle layout); DIR/augmented data/{yes,no} is used by --augment "
      "folder"));
  run_options.push_back(cmd->add_option("--split", options->split,
                                        "grouped: split by source scan, duplicates merged, no "
                                        "leakage; paper: shuffle all images and split 70/15/15, "
                                        "as the seed did")
                            ->check(CLI::IsMember({"grouped", "paper"}))
                            ->capture_default_str());
  run_options.push_back(
      cmd->add_option("--epochs", options->epochs,
                      "epochs (default: the recipe's, 24 for seed; 8 on the built-in data)")
          ->check(whole_number(1, 100000)));
  run_options.push_back(
      cmd->add_option("--batch", options->batch, "batch size (default: the recipe's)")
          ->check(whole_number(1, 4096)));
  run_options.push_back(
      cmd->add_option("--lr", options->lr, "learning rate (default: the recipe's)")
          ->check(real_number(1e-9, 10.0)));
  run_options.push_back(cmd->add_option("--seed", options->seed,
                                        "shuffling, splitting, initial weights and augmentation")
                            ->check(whole_number(0, 1L << 40))
                            ->capture_default_str());
  run_options.push_back(
      cmd->add_option("--augment", options->augment,
                      "folder: the seed's saved copies (the seed recipe's default when DIR/"
                      "augmented data exists); online: random Keras-style transforms every "
                      "epoch; none: the preprocessed originals only")
          ->check(CLI::IsMember({"none", "folder", "online"})));
  run_options.push_back(add_settings_option(*cmd, options->settings));
  {
    const size_t before = cmd->get_options().size();
    add_duplicate_options(*cmd, options->duplicates);
    const std::vector<CLI::Option*> added = cmd->get_options();
    for (size_t i = before; i < added.size(); ++i) run_options.push_back(added[i]);
  }
  run_options.push_back(cmd->add_option(
      "--out", options->out, "output folder (default runs/<recipe>-<split>-seed<N>-<time>)"));
  run_options.push_back(
      cmd->add_flag("--force", options->force, "write into --out even if it already holds files"));
  run_options.push_back(cmd->add_flag("--strict", options->strict,
                                      "stop at the first unreadable image instead of skipping it"));
  run_options.push_back(
      cmd->add_option("--threads", options->threads, "worker threads (default: all cores)")
          ->check(whole_number(1, 1024)));
  add_max_pixels_option(*cmd);
  CLI::Option* resume = cmd->add_option(
      "--resume", options->resume,
      "continue the interrupted run in DIR with its own options (from DIR/run.json)");
  for (CLI::Option* other : run_options) resume->excludes(other);
  return {cmd, [options] { return run_train(*options); }};
}

}  // namespace brain_tumor
