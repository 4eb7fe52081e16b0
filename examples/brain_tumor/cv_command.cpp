// brain_tumor cv: grouped K-fold cross-validation of a recipe on the original scans.
//
// Every group of scans (a scan, its augmented copies, and the scans that are the same picture
// saved again: identical pixels or near duplicates, duplicates.hpp) is tested exactly once, by a
// model that never saw any of it; the best epoch is chosen on a validation part of the other folds.
// The out-of-fold predictions of all original scans are pooled into one set of figures, with
// bootstrap intervals.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>

#include "commands.hpp"
#include "dataset.hpp"
#include "distributed.hpp"
#include "duplicates.hpp"
#include "recipes.hpp"
#include "report.hpp"
#include "run_folder.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

struct CvOptions {
  std::string recipe = "seed", data, out, augment;
  std::vector<std::string> settings;  // --set name=value
  DuplicateSettings duplicates;
  long folds = 5, seed = 1, epochs = 0;
  bool force = false, strict = false, resume = false;
  int threads = 0;
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string duration(double seconds) {
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof(text), "%dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  } else {
    std::snprintf(text, sizeof(text), "%dm%02ds", static_cast<int>(seconds / 60),
                  static_cast<int>(seconds) % 60);
  }
  return text;
}

struct Pooled {
  glia::metrics::BinaryMetrics binary;
  double brier = 0, ece = 0;
};

Pooled pool(const std::vector<float>& logits, const std::vector<int>& labels) {
  Pooled p;
  p.binary = glia::metrics::binary_metrics(logits, labels);
  std::vector<double> prob;
  for (float z : logits) prob.push_back(glia::sigmoid(static_cast<double>(z)));
  p.brier = glia::metrics::brier_score(prob, labels);
  p.ece = glia::metrics::expected_calibration_error(prob, labels, 10);
  return p;
}

Json pooled_json(const Pooled& p) {
  Json j = metrics_json(p.binary);
  j["brier"] = p.brier;
  j["ece"] = p.ece;
  return j;
}

// The fold's predictions on its test originals, as written to fold-<f>/predictions.tsv and read
// back when a resumed cv skips a finished fold.
struct FoldResult {
  std::vector<int> items;  // indices of the test originals
  std::vector<float> logits;
  int64_t best_epoch = 0;
  Json report;
};

int run_cv(CvOptions o) {
  Recipe recipe = recipe_with(o.recipe, o.settings);
  if (o.epochs) recipe.epochs = o.epochs;
  if (!fs::is_directory(o.data)) throw DataError("data folder '" + o.data + "' does not exist");
  if (o.augment.empty()) o.augment = recipe.augment;
  if (o.duplicates.mode == "auto") o.duplicates.mode = "near";
  if (o.duplicates.mode == "exact" && !o.duplicates.groups_file.empty()) {
    throw UsageError("--groups needs --duplicates near");
  }
  const Catalog catalog = scan_data_dir(o.data);
  if (o.augment == "folder" && catalog.augmented.empty()) o.augment = "online";
  apply_threads(o.threads);
  if (o.out.empty()) o.out = "runs/cv-" + o.recipe + "-seed" + std::to_string(o.seed);
  // Under mpirun, rank r trains folds r, r + N, ...; rank 0 gathers them and writes everything.
  const int world = ranks(), me = rank();
  std::unique_ptr<ScratchFolder> scratch;
  if (world > 1) {
    if (o.resume) throw UsageError("--resume is not supported under mpirun with several ranks");
    if (!is_root()) {
      scratch = std::make_unique<ScratchFolder>();
      o.out = scratch->path();
      o.force = true;
    }
  }
  RunFolder folder(o.out, o.resume, o.force);
  const Json options{{"recipe", o.recipe},
                     {"settings", o.settings},
                     {"data", o.data},
                     {"folds", o.folds},
                     {"seed", o.seed},
                     {"epochs", recipe.epochs},
                     {"augment", o.augment},
                     {"threads", glia::num_threads()},
                     {"isa", glia::isa_name(glia::active_isa())},
                     {"duplicates", duplicate_settings_json(o.duplicates)}};
  if (o.resume) {
    if (folder.read_options() != options) {
      throw DataError("cannot resume '" + o.out + "': it was started with other options (" +
                      folder.read_options().dump() + ")");
    }
  } else {
    folder.write_options(options);
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  std::vector<ImageRef> refs = catalog.originals;
  if (o.augment == "folder")
    refs.insert(refs.end(), catalog.augmented.begin(), catalog.augmented.end());
  const PreparedSet prepared = prepare_images(refs, o.strict, {}, recipe.image_size);
  for (const SkippedFile& s : prepared.skipped) {
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  }
  const std::vector<Prepared>& items = prepared.items;
  std::vector<int> originals, augmented;
  for (size_t i = 0; i < items.size(); ++i) {
    (items[i].ref.augmented ? augmented : originals).push_back(static_cast<int>(i));
  }
  if (world > 1) {  // every rank must see the same data with the same settings
    std::string inputs = options.dump();
    for (const Prepared& p : items)
      inputs += "\n" + p.ref.relative + "\t" + std::to_string(p.ref.label);
    require_agreement("the data and the options", inputs);
  }
  std::vector<int> train_pool = o.augment == "folder" ? augmented : originals;
  if (o.augment == "folder" && recipe.train_originals)
    train_pool.insert(train_pool.end(), originals.begin(), originals.end());
  const std::vector<ScanLink> links = find_duplicate_scans(items, originals, o.duplicates);
  const std::vector<Split> folds =
      grouped_folds(items, train_pool, originals, static_cast<int>(o.folds),
                    static_cast<uint64_t>(o.seed), links);
  const int exact = folds[0].merges_of("exact");
  if (is_root()) {  // the groups the folds were dealt by, for a reviewer (and --groups)
    glia::io::write_file_atomically(folder.file("groups.tsv"),
                                    groups_tsv(items, duplicate_groups(items, originals, links)));
  }
  std::printf(
      "cv: recipe %s, %ld folds (seed %ld) over %zu original scans in %d groups "
      "(%d identical and %d near-duplicate scans merged), augment %s, %s each, %s (%s)\n",
      o.recipe.c_str(), o.folds, o.seed, originals.size(), folds[0].groups, exact,
      static_cast<int>(folds[0].merges.size()) - exact, o.augment.c_str(),
      count_of(static_cast<long>(recipe.epochs), "epoch").c_str(),
      count_of(glia::num_threads(), "thread").c_str(), glia::isa_name(glia::active_isa()));
  std::fflush(stdout);

  std::vector<FoldResult> results(folds.size());
  double training_seconds = 0;
  int trained = 0;
  for (size_t f = 0; f < folds.size(); ++f) {
    const Split& split = folds[f];
    const fs::path dir = fs::path(o.out) / ("fold-" + std::to_string(f + 1));
    FoldResult& result = results[f];
    result.items = split.test_originals;
    if (static_cast<int>(f % static_cast<size_t>(world)) != me) continue;  // another rank's
    if (o.resume && fs::exists(dir / "report.json")) {  // finished before the interruption
      result.report = Json::parse(glia::io::read_file((dir / "report.json").string()));
      std::istringstream tsv(glia::io::read_file((dir / "predictions.tsv").string()));
      std::string file;
      int label;
      double logit;
      std::getline(tsv, file);  // header
      while (tsv >> std::quoted(file) >> label >> logit)
        result.logits.push_back(static_cast<float>(logit));
      if (result.logits.size() != result.items.size()) {
        throw DataError("cannot resume: " + (dir / "predictions.tsv").string() + " is incomplete");
      }
      std::printf("fold %zu/%zu: done before, read back\n", f + 1, folds.size());
      continue;
    }
    fs::create_directories(dir);
    const auto fold_start = std::chrono::steady_clock::now();
    TrainingPlan plan;
    plan.recipe = recipe;
    plan.augment = o.augment;
    plan.seed = static_cast<uint64_t>(o.seed) * 1000 + f + 1;
    plan.best_path = (dir / "best.glia").string();
    plan.state_path = (dir / "state.glia").string();
    plan.resume = o.resume;
    plan.data_parallel = false;  // under mpirun each rank trains whole folds
    plan.on_epoch = [&](int64_t network, const glia::train::EpochLog& log) {
      const std::string which =
          recipe.models > 1 ? " network " + std::to_string(network + 1) : std::string();
      std::printf(
          "  fold %zu%s epoch %lld/%lld  loss %.4f  acc %.4f  val_loss %.4f  val_acc %.4f  "
          "%.0fs\n",
          f + 1, which.c_str(), static_cast<long long>(log.epoch),
          static_cast<long long>(recipe.epochs), log.loss, log.accuracy, log.val_loss,
          log.val_accuracy, log.seconds);
      std::fflush(stdout);
    };
    FittedModel model = fit_recipe(items, split, plan);
    result.best_epoch = model.best_epochs[0];
    result.logits = predict_logits(model.net, recipe, items, split.test_originals);
    const std::vector<glia::train::History>& histories = model.histories;
    std::vector<int> labels;
    for (int i : split.test_originals) labels.push_back(items[static_cast<size_t>(i)].ref.label);
    const Pooled fold_metrics = pool(result.logits, labels);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - fold_start).count();
    result.report = Json{
        {"fold", f + 1},
        {"counts",
         {{"train", split.train.size()},
          {"val", split.val.size()},
          {"test_original_scans", split.test_originals.size()}}},
        {"best_epoch", result.best_epoch},
        {"best_epochs", model.best_epochs},
        {"temperature", model.temperature},
        {"val", metrics_json(histories[0][static_cast<size_t>(result.best_epoch - 1)].val_binary)},
        {"test_original_scans_metrics", pooled_json(fold_metrics)},
        {"seconds", seconds}};
    std::ostringstream tsv;
    tsv << "file\tlabel\tlogit\n";
    for (size_t k = 0; k < split.test_originals.size(); ++k) {
      const Prepared& item = items[static_cast<size_t>(split.test_originals[k])];
      tsv << std::quoted(item.ref.relative) << "\t" << item.ref.label << "\t"
          << std::setprecision(9) << result.logits[k] << "\n";
    }
    glia::io::write_file_atomically((dir / "predictions.tsv").string(), tsv.str());
    for (size_t m = 0; m < histories.size(); ++m) {
      const std::string name = m == 0 ? "history.csv" : "history-" + std::to_string(m + 1) + ".csv";
      glia::io::write_file_atomically((dir / name).string(), history_csv(histories[m]));
    }
    glia::io::write_file_atomically((dir / "report.json").string(), result.report.dump(2) + "\n");
    training_seconds += seconds;
    ++trained;
    size_t left = 0;  // this rank's folds still to train
    for (size_t g = f + 1; g < folds.size(); ++g)
      left += static_cast<int>(g % static_cast<size_t>(world)) == me;
    const double eta = training_seconds / trained * static_cast<double>(left);
    std::printf(
        "fold %zu/%zu: best epoch %lld, test originals acc %.4f auc %.4f (n=%zu), %s; "
        "elapsed %s, ETA %s\n",
        f + 1, folds.size(), static_cast<long long>(result.best_epoch),
        fold_metrics.binary.accuracy, fold_metrics.binary.roc_auc, split.test_originals.size(),
        duration(seconds).c_str(), duration(elapsed()).c_str(), duration(eta).c_str());
    std::fflush(stdout);
  }

  if (world > 1) {
    // Each rank's folds (figures, predictions, history and best weights) to rank 0.
    Json mine = Json::array();
    std::string weights;
    for (size_t f = static_cast<size_t>(me); f < folds.size(); f += static_cast<size_t>(world)) {
      const fs::path dir = fs::path(o.out) / ("fold-" + std::to_string(f + 1));
      const std::string best = glia::io::read_file((dir / "best.glia").string());
      mine.push_back({{"fold", f},
                      {"best_epoch", results[f].best_epoch},
                      {"report", results[f].report},
                      {"logits", results[f].logits},
                      {"predictions", glia::io::read_file((dir / "predictions.tsv").string())},
                      {"history", glia::io::read_file((dir / "history.csv").string())},
                      {"best_bytes", best.size()}});
      weights += best;
    }
    const std::vector<std::string> texts = gather_on_root(mine.dump());
    const std::vector<std::string> blobs = gather_on_root(weights);
    if (!is_root()) return 0;  // rank 0 writes the folds and the pooled figures
    for (size_t r = 1; r < texts.size(); ++r) {
      size_t at = 0;
      for (const Json& fold : Json::parse(texts[r])) {
        const size_t f = fold.at("fold").get<size_t>();
        FoldResult& result = results.at(f);
        result.best_epoch = fold.at("best_epoch").get<int64_t>();
        result.report = fold.at("report");
        result.logits = fold.at("logits").get<std::vector<float>>();
        const size_t size = fold.at("best_bytes").get<size_t>();
        const fs::path dir = fs::path(o.out) / ("fold-" + std::to_string(f + 1));
        fs::create_directories(dir);
        glia::io::write_file_atomically((dir / "best.glia").string(), blobs[r].substr(at, size));
        at += size;
        glia::io::write_file_atomically((dir / "predictions.tsv").string(),
                                        fold.at("predictions").get<std::string>());
        glia::io::write_file_atomically((dir / "history.csv").string(),
                                        fold.at("history").get<std::string>());
        glia::io::write_file_atomically((dir / "report.json").string(),
                                        result.report.dump(2) + "\n");
        std::printf("fold %zu/%zu: trained on rank %zu, best epoch %lld\n", f + 1, folds.size(), r,
                    static_cast<long long>(result.best_epoch));
      }
    }
  }

  // Pooled out-of-fold predictions: every original scan once.
  std::vector<float> logits;
  std::vector<int> labels, fold_of;
  std::vector<std::string> files;
  std::vector<std::vector<glia::metrics::RocPoint>> fold_curves;
  Json per_fold = Json::array();
  for (size_t f = 0; f < results.size(); ++f) {
    std::vector<int> fold_labels;
    for (size_t k = 0; k < results[f].items.size(); ++k) {
      const Prepared& item = items[static_cast<size_t>(results[f].items[k])];
      logits.push_back(results[f].logits[k]);
      labels.push_back(item.ref.label);
      fold_labels.push_back(item.ref.label);
      fold_of.push_back(static_cast<int>(f + 1));
      files.push_back(item.ref.relative);
    }
    fold_curves.push_back(glia::metrics::roc_curve(results[f].logits, fold_labels));
    per_fold.push_back(results[f].report);
  }
  const Pooled pooled = pool(logits, labels);
  const size_t n = logits.size();
  auto resampled = [&](const std::vector<size_t>& sample, bool auc) {
    std::vector<float> z;
    std::vector<int> y;
    for (size_t i : sample) {
      z.push_back(logits[i]);
      y.push_back(labels[i]);
    }
    return auc ? glia::metrics::roc_auc(z, y) : glia::metrics::binary_metrics(z, y).accuracy;
  };
  const uint64_t bootstrap_seed = static_cast<uint64_t>(o.seed);
  const glia::metrics::Interval accuracy_ci = glia::metrics::bootstrap_interval(
      n, [&](const std::vector<size_t>& s) { return resampled(s, false); }, 2000, bootstrap_seed);
  const glia::metrics::Interval auc_ci = glia::metrics::bootstrap_interval(
      n, [&](const std::vector<size_t>& s) { return resampled(s, true); }, 2000, bootstrap_seed);

  std::vector<double> probabilities;
  for (float z : logits) probabilities.push_back(glia::sigmoid(static_cast<double>(z)));
  const auto bins = glia::metrics::reliability(probabilities, labels, 10);
  std::ostringstream oof;
  oof << "file\tlabel\tprob\tfold\n";
  for (size_t i = 0; i < n; ++i) {
    char prob[32];
    std::snprintf(prob, sizeof(prob), "%.6f", probabilities[i]);
    oof << files[i] << "\t" << labels[i] << "\t" << prob << "\t" << fold_of[i] << "\n";
  }
  glia::io::write_file_atomically(folder.file("oof_predictions.tsv"), oof.str());
  glia::io::write_file_atomically(
      folder.file("roc.svg"),
      roc_svg(glia::metrics::roc_curve(logits, labels), pooled.binary.roc_auc, fold_curves));
  glia::io::write_file_atomically(folder.file("calibration.svg"),
                                  calibration_svg(bins, pooled.ece));
  Json bin_table = Json::array();
  for (const auto& b : bins) {
    bin_table.push_back({{"lower", b.lower},
                         {"upper", b.upper},
                         {"count", b.count},
                         {"mean_probability", b.mean_probability},
                         {"fraction_positive", b.fraction_positive}});
  }
  Json cv = options;
  cv["original_scans"] = n;
  cv["groups"] = folds[0].groups;
  cv["duplicate_scans_merged"] = merge_counts_json(folds[0].merges);
  cv["groups_with_both_labels"] = folds[0].label_conflicts;
  cv["pooled"] = pooled_json(pooled);
  cv["pooled"]["accuracy_ci95"] = {accuracy_ci.low, accuracy_ci.high};
  cv["pooled"]["roc_auc_ci95"] = {auc_ci.low, auc_ci.high};
  cv["pooled"]["bootstrap"] = "2000 resamples of the scans, seed " + std::to_string(o.seed);
  cv["pooled"]["reliability_bins"] = bin_table;
  cv["folds"] = per_fold;
  cv["skipped_files"] = prepared.skipped.size();
  cv["wall_seconds"] = elapsed();
  cv["peak_memory_mb"] = peak_rss_mb();
  glia::io::write_file_atomically(folder.file("cv.json"), cv.dump(2) + "\n");
  std::printf(
      "pooled over %zu original scans: accuracy %.4f (95%% CI %.3f-%.3f), ROC AUC %.4f "
      "(%.3f-%.3f), F1 %.4f, log loss %.4f, Brier %.4f, ECE %.4f\n"
      "wall time %s, peak memory %.0f MB; wrote %s/{cv.json, oof_predictions.tsv, roc.svg, "
      "calibration.svg, groups.tsv, fold-*/}\n",
      n, pooled.binary.accuracy, accuracy_ci.low, accuracy_ci.high, pooled.binary.roc_auc,
      auc_ci.low, auc_ci.high, pooled.binary.f1, pooled.binary.log_loss, pooled.brier, pooled.ece,
      duration(elapsed()).c_str(), peak_rss_mb(), o.out.c_str());
  return 0;
}

}  // namespace

Command add_cv_command(CLI::App& app) {
  auto options = std::make_shared<CvOptions>();
  CLI::App* cmd = app.add_subcommand("cv", "grouped K-fold cross-validation on the original scans");
  cmd->footer(
      "Every group of scans (a scan, its augmented copies, and the scans that are the same "
      "picture saved again, identically or not: see 'brain_tumor duplicates') is tested once by "
      "a model that never saw it; each fold keeps its best epoch by a validation "
      "part of the other folds. Writes per-fold reports, cv.json (per-fold and pooled figures "
      "with bootstrap intervals), oof_predictions.tsv, roc.svg and calibration.svg.");
  cmd->add_option("--data", options->data, "DIR/yes and DIR/no (and DIR/augmented data)")
      ->required();
  cmd->add_option("--folds", options->folds, "folds")
      ->check(whole_number(2, 50))
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "fold assignment, initial weights, shuffles")
      ->check(whole_number(0, 1L << 40))
      ->capture_default_str();
  add_recipe_option(*cmd, options->recipe, "seed or glia (docs/results.md)");
  cmd->add_option("--epochs", options->epochs, "epochs per fold (default: the recipe's)")
      ->check(whole_number(1, 100000));
  cmd->add_option("--augment", options->augment, "folder, online or none (default: the recipe's)")
      ->check(CLI::IsMember({"none", "folder", "online"}));
  add_settings_option(*cmd, options->settings);
  add_duplicate_options(*cmd, options->duplicates);
  cmd->add_option("--out", options->out, "output folder (default runs/cv-<recipe>-seed<N>)");
  cmd->add_flag("--force", options->force, "write into --out even if it already holds files");
  cmd->add_flag("--resume", options->resume,
                "continue an interrupted cv in --out: finished folds are read back, the fold in "
                "progress resumes from its last epoch");
  cmd->add_flag("--strict", options->strict,
                "stop at the first unreadable image instead of skipping it");
  add_threads_option(*cmd, options->threads);
  add_max_pixels_option(*cmd);
  return {cmd, [options] { return run_cv(*options); }};
}

}  // namespace brain_tumor
