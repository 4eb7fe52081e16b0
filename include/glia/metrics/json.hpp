/// @file
/// Metrics as JSON: the one form every report of glia and its examples writes (report.json,
/// cv.json, the Trainer's state files), and reads back. Text in, text out: JSON objects as
/// std::string, so that a caller's own JSON library can embed them.
#pragma once

#include <string>
#include <vector>

#include "glia/metrics/binary.hpp"
#include "glia/metrics/multiclass.hpp"

namespace glia::metrics {

/// {"accuracy", "f1", "precision", "recall", "roc_auc", "log_loss",
///  "confusion": [[tn, fp], [fn, tp]], "count"}
std::string to_json(const BinaryMetrics& m);
/// {"accuracy", "log_loss", "confusion": [[...] per true class], "count", "classes"}
std::string to_json(const MulticlassMetrics& m);

/// The report of binary logits against 0/1 labels: to_json(binary_metrics(logits, labels)) and
/// the probabilities' "brier" score and "ece" (expected calibration error over
/// `calibration_bins` bins).
std::string binary_report_json(const std::vector<float>& logits, const std::vector<int>& labels,
                               int calibration_bins = 10);

///@{
/// to_json's text back; std::invalid_argument naming what is missing or malformed.
BinaryMetrics binary_metrics_from_json(const std::string& text);
MulticlassMetrics multiclass_metrics_from_json(const std::string& text);
///@}

}  // namespace glia::metrics
