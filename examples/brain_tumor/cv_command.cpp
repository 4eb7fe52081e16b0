// brain_tumor cv: grouped K-fold cross-validation of a recipe on the original scans.
//
// Every group of scans (a scan, its augmented copies, and the scans that are the same picture
// saved again: identical pixels or near duplicates, duplicates.hpp) is tested exactly once, by a
// model that never saw any of it; the best epoch is chosen on a validation part of the other
// folds. glia::train::cross_validate runs the folds (resume, mpirun) and pools the out-of-fold
// predictions with bootstrap intervals; this file says what a fold is for brain MRI.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include <glia/dist/dist.hpp>
#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>
#include <glia/support/resources.hpp>
#include <glia/train/cross_validation.hpp>

#include "commands.hpp"
#include "duplicates.hpp"
#include "report.hpp"
#include "run_data.hpp"
#include "run_folder.hpp"
#include "run_options.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

struct CvOptions : RunOptions {
  long folds = 5;
  bool resume = false;
};

// The examples every fold tests: the original scans, each in the fold that holds its group.
void cv_examples(const std::vector<Prepared>& items, const std::vector<int>& originals,
                 const std::vector<Split>& folds, std::vector<glia::train::CvExample>& examples,
                 std::vector<int>& test_fold) {
  std::map<int, size_t> example_of;  // item -> example
  for (int i : originals) {
    example_of[i] = examples.size();
    examples.push_back(
        {items[static_cast<size_t>(i)].ref.relative, items[static_cast<size_t>(i)].ref.label});
  }
  test_fold.assign(examples.size(), 0);
  for (size_t f = 0; f < folds.size(); ++f)
    for (int i : folds[f].test_originals) test_fold[example_of.at(i)] = static_cast<int>(f);
}

// cv.json, the plots, and the closing lines.
void write_cv_outputs(const CvOptions& o, const Json& options, const RunData& run,
                      const Split& fold, const glia::train::CrossValidationResult& cv,
                      double seconds) {
  write_cv_plots(o.out, cv);
  Json out = options;
  out["original_scans"] = cv.labels.size();
  out["groups"] = fold.groups;
  out["duplicate_scans_merged"] = merge_counts_json(fold.merges);
  out["groups_with_both_labels"] = fold.label_conflicts;
  out["pooled"] = Json::parse(cv.pooled_json);
  out["folds"] = Json::array();
  for (const std::string& report : cv.fold_reports) out["folds"].push_back(Json::parse(report));
  out["skipped_files"] = run.prepared.skipped.size();
  out["wall_seconds"] = seconds;
  out["peak_memory_mb"] = glia::peak_memory_mb();
  glia::io::write_file_atomically(o.out + "/cv.json", out.dump(2) + "\n");
  std::printf(
      "pooled over %zu original scans: accuracy %.4f (95%% CI %.3f-%.3f), ROC AUC %.4f "
      "(%.3f-%.3f), F1 %.4f, log loss %.4f, Brier %.4f, ECE %.4f\n"
      "wall time %s, peak memory %.0f MB; wrote %s/{cv.json, oof_predictions.tsv, roc.svg, "
      "calibration.svg, groups.tsv, fold-*/}\n",
      cv.labels.size(), cv.binary.accuracy, cv.accuracy_ci.low, cv.accuracy_ci.high,
      cv.binary.roc_auc, cv.roc_auc_ci.low, cv.roc_auc_ci.high, cv.binary.f1, cv.binary.log_loss,
      cv.brier, cv.ece, duration(seconds).c_str(), glia::peak_memory_mb(), o.out.c_str());
}

// Progress lines: each fold trained, read back or gathered from another rank.
void report_progress(glia::train::CrossValidationOptions& cv, long folds,
                     const glia::Stopwatch& clock) {
  auto trained = std::make_shared<std::pair<double, int>>(0.0, 0);  // seconds, folds
  cv.on_fold_done = [=, &clock](int f, const glia::train::FoldOutcome& outcome, double seconds,
                                int left) {
    const Json report = Json::parse(outcome.report);
    const Json& test = report.at("test_original_scans_metrics");
    trained->first += seconds;
    trained->second += 1;
    std::printf(
        "fold %d/%ld: best epoch %lld, test originals acc %.4f auc %.4f (n=%lld), %s; elapsed %s, "
        "ETA %s\n",
        f + 1, folds, report.at("best_epoch").get<long long>(), test.at("accuracy").get<double>(),
        test.at("roc_auc").get<double>(), test.at("count").get<long long>(),
        duration(seconds).c_str(), duration(clock.seconds()).c_str(),
        duration(trained->first / trained->second * left).c_str());
    std::fflush(stdout);
  };
  cv.on_fold_resumed = [=](int f) {
    std::printf("fold %d/%ld: done before, read back\n", f + 1, folds);
  };
  cv.on_fold_gathered = [=](int f, int rank, const std::string& report) {
    std::printf("fold %d/%ld: trained on rank %d, best epoch %lld\n", f + 1, folds, rank,
                Json::parse(report).at("best_epoch").get<long long>());
  };
}

int run_cv(CvOptions o) {
  Recipe recipe = recipe_with(o.recipe, o.settings);
  if (o.epochs) recipe.epochs = o.epochs;
  if (!fs::is_directory(o.data)) throw DataError("data folder '" + o.data + "' does not exist");
  const AugmentMode augment = resolve_augment(o.augment_given, recipe, o.data);
  o.duplicates = resolved(o.duplicates, false);
  apply_threads(o.threads);
  if (o.out.empty()) o.out = "runs/cv-" + o.recipe + "-seed" + std::to_string(o.seed);
  const auto scratch = scratch_for_other_ranks(o.out, o.force, o.resume);
  RunFolder folder(o.out, o.resume, o.force);
  const Json options{{"recipe", o.recipe},
                     {"settings", o.settings},
                     {"data", o.data},
                     {"folds", o.folds},
                     {"seed", o.seed},
                     {"epochs", recipe.epochs},
                     {"augment", augment},
                     {"threads", glia::num_threads()},
                     {"isa", glia::isa_name(glia::active_isa())},
                     {"duplicates", duplicate_settings_json(o.duplicates)}};
  folder.start(options, o.resume);
  const glia::Stopwatch clock;

  const RunData run = load_run_data(o.data, augment, recipe, o.strict, o.seed);
  const std::vector<Prepared>& items = run.prepared.items;
  require_ranks_agree(options, items);
  const std::vector<ScanLink> links = find_duplicate_scans(items, run.originals, o.duplicates);
  const std::vector<Split> folds =
      grouped_folds(items, run.pool, run.originals, static_cast<int>(o.folds), o.seed, links);
  if (glia::dist::rank() == 0)  // the groups the folds were dealt by, for a reviewer (--groups)
    glia::io::write_file_atomically(
        folder.file("groups.tsv"),
        groups_tsv(items, duplicate_groups(items, run.originals, links)));
  const int exact = folds[0].merges_of("exact");
  std::printf(
      "cv: recipe %s, %ld folds (seed %ld) over %zu original scans in %d groups "
      "(%d identical and %d near-duplicate scans merged), augment %s, %s each, %s (%s)\n",
      o.recipe.c_str(), o.folds, o.seed, run.originals.size(), folds[0].groups, exact,
      static_cast<int>(folds[0].merges.size()) - exact, name_of(augment).c_str(),
      count_of(static_cast<long>(recipe.epochs), "epoch").c_str(),
      count_of(glia::num_threads(), "thread").c_str(), glia::isa_name(glia::active_isa()));
  std::fflush(stdout);

  std::vector<glia::train::CvExample> examples;
  std::vector<int> test_fold;
  cv_examples(items, run.originals, folds, examples, test_fold);
  glia::train::CrossValidationOptions cv_options;
  cv_options.out = o.out;
  cv_options.resume = o.resume;
  cv_options.bootstrap_seed = static_cast<uint64_t>(o.seed);
  cv_options.workers = glia::dist::workers();
  report_progress(cv_options, o.folds, clock);
  const glia::train::CrossValidationResult cv = glia::train::cross_validate(
      examples, test_fold, static_cast<int>(o.folds),
      [&](const glia::train::FoldContext& fold) {
        return fit_fold(fold, folds[static_cast<size_t>(fold.fold)], recipe, augment, o.seed,
                        items);
      },
      cv_options);
  if (cv.pooled) write_cv_outputs(o, options, run, folds[0], cv, clock.seconds());
  return 0;  // ranks other than 0: their folds went to rank 0
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
  add_run_options(
      *cmd, *options,
      {"DIR/yes and DIR/no (and DIR/augmented data)", "fold assignment, initial weights, shuffles",
       "epochs per fold (default: the recipe's)", "folder, online or none (default: the recipe's)",
       "output folder (default runs/cv-<recipe>-seed<N>)"});
  cmd->get_option("--data")->required();
  cmd->add_option("--folds", options->folds, "folds")
      ->check(whole_number(2, 50))
      ->capture_default_str();
  cmd->add_flag("--resume", options->resume,
                "continue an interrupted cv in --out: finished folds are read back, the fold in "
                "progress resumes from its last epoch");
  return {cmd, [options] { return run_cv(*options); }};
}

}  // namespace brain_tumor
