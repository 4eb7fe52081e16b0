/// @file
/// Cross-validation over any data set and model: the loop, not the model. The caller says which
/// fold tests each example (data::grouped_kfold keeps groups whole) and how to train one fold
/// and predict its test examples; cross_validate runs the folds, keeps every fold's files,
/// resumes an interrupted run, shares the folds among processes (glia::dist) and pools the
/// out-of-fold predictions into one set of figures with bootstrap intervals:
///
///   train::CrossValidationOptions options;
///   options.out = "runs/cv";
///   train::CrossValidationResult cv = train::cross_validate(
///       examples, test_fold, 5, [&](const train::FoldContext& fold) {
///         ... train on the other folds, write fold.dir/best.glia if you like ...
///         return train::FoldOutcome{logits_of_fold_examples, report_json};
///       }, options);
///
/// Files, in options.out: fold-K/ (predictions.tsv: example, label, logit(s) with 9
/// significant digits; report.json: the fold's own report; anything else the fold wrote there),
/// oof_predictions.tsv (example, label, probability or predicted class, fold) and the pooled
/// figures as JSON (CrossValidationResult::pooled_json, for the caller's own report).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "glia/metrics/binary.hpp"
#include "glia/metrics/bootstrap.hpp"
#include "glia/metrics/calibration.hpp"
#include "glia/metrics/multiclass.hpp"

namespace glia::train {

/// One example every fold tests once: its name in the files and its class.
struct CvExample {
  std::string id;  ///< e.g. a file name
  int label = 0;   ///< 0/1 (binary) or a class index
};

/// What cross_validate hands the caller's training of one fold.
struct FoldContext {
  int fold = 0;              ///< 0-based
  std::string dir;           ///< where the fold's files go (created)
  bool resume = false;       ///< continue this fold from its own state, if it kept one
  std::vector<size_t> test;  ///< indices of the examples this fold tests, in order
};

/// What the caller's training of one fold gives back.
struct FoldOutcome {
  /// The test examples' logits, in FoldContext::test's order: one per example (binary), or one
  /// row of `classes` per example.
  std::vector<float> logits;
  /// The fold's report, a JSON object as text (written as report.json, pretty-printed).
  std::string report = "{}";
};

/// How the folds are shared among processes: fold f is trained by rank f mod size, and rank 0
/// gathers every fold's files and pools. The default is one process; glia::dist::workers()
/// gives the MPI one under mpirun.
struct Workers {
  int rank = 0;  ///< this process
  int size = 1;  ///< processes
  /// Every rank's text, on rank 0 in rank order (other ranks get an empty list).
  std::function<std::vector<std::string>(const std::string&)> gather_on_root;
};

/// Settings of cross_validate.
struct CrossValidationOptions {
  std::string out;                 ///< the run's folder (exists; the caller locks it)
  bool resume = false;             ///< folds with a report.json are read back, not trained
  int classes = 1;                 ///< logits per example: 1 for binary (0/1 labels)
  int bootstrap_resamples = 2000;  ///< for the intervals of the pooled figures
  uint64_t bootstrap_seed = 1;     ///< their seed
  int calibration_bins = 10;       ///< reliability diagram and ECE (binary)
  Workers workers;                 ///< one process unless given
  /// Called on the rank that trained fold `fold`, after its files are written, with its
  /// outcome, its seconds, and how many folds this rank still has to train.
  std::function<void(int fold, const FoldOutcome&, double seconds, int left)> on_fold_done;
  /// Called for a fold read back on --resume instead of trained.
  std::function<void(int fold)> on_fold_resumed;
  /// Called on rank 0 for each fold another rank trained, once its files are in place.
  std::function<void(int fold, int rank, const std::string& report)> on_fold_gathered;
};

/// The pooled out-of-fold figures (on rank 0; `pooled` false elsewhere).
struct CrossValidationResult {
  bool pooled = false;  ///< false on ranks other than 0
  /// The examples fold by fold, each fold's in example order: their indices, folds (0-based),
  /// labels and logits (times classes).
  ///@{
  std::vector<size_t> example;
  std::vector<int> fold_of, labels;
  std::vector<float> logits;
  ///@}
  std::vector<std::string> fold_reports;  ///< report.json of each fold, as text
  ///@{
  /// Binary (classes == 1): metrics of the pooled logits, Brier score, ECE and its bins.
  metrics::BinaryMetrics binary;
  double brier = 0, ece = 0;
  std::vector<metrics::ReliabilityBin> reliability;
  ///@}
  metrics::MulticlassMetrics multiclass;  ///< classes > 1
  ///@{
  /// 95% bootstrap intervals over the examples (AUC: binary only).
  metrics::Interval accuracy_ci, roc_auc_ci;
  ///@}
  /// All the pooled figures as one JSON object (text): the metrics (metrics::to_json), then
  /// "brier", "ece", "accuracy_ci95", "roc_auc_ci95", "bootstrap" and "reliability_bins" (binary),
  /// or the multi-class metrics and "accuracy_ci95".
  std::string pooled_json;
};

/// Runs the folds (see the file's description). `test_fold[i]` is the fold (0..folds-1) that
/// tests examples[i]; `train_fold` trains one fold and predicts its test examples. Throws
/// std::invalid_argument on inconsistent sizes, std::runtime_error when a fold's files cannot
/// be read back on resume or a fold returns the wrong number of logits.
CrossValidationResult cross_validate(
    const std::vector<CvExample>& examples, const std::vector<int>& test_fold, int folds,
    const std::function<FoldOutcome(const FoldContext&)>& train_fold,
    const CrossValidationOptions& options);

}  // namespace glia::train
