// Run outputs: history.csv, SVG learning curves, and the JSON form of metrics for reports.
#pragma once

#include <string>
#include <vector>

#include <glia/metrics/binary.hpp>
#include <glia/metrics/calibration.hpp>
#include <glia/metrics/json.hpp>
#include <glia/train/cross_validation.hpp>
#include <glia/train/trainer.hpp>
#include <nlohmann/json.hpp>

namespace brain_tumor {

using Json = nlohmann::ordered_json;  // keys stay in the order they are written

// history.csv (the first network's), history-<k>.csv (the k-th's) and, with `curves`, the
// first network's loss.svg and accuracy.svg, in `dir`.
void write_histories(const std::string& dir, const std::vector<glia::train::History>& histories,
                     bool curves);

// A line chart of two series against epoch, with axes, ticks, labels and a legend.
std::string learning_curve_svg(const std::string& title, const std::string& y_label,
                               const std::vector<double>& train, const std::vector<double>& val);

// glia::metrics::to_json as a Json value, to embed in a report.
Json metrics_json(const glia::metrics::BinaryMetrics& m);

// The pooled ROC curve (bold) over the folds' (faint), with the chance line, axes, a legend and
// the pooled AUC in the title.
std::string roc_svg(const std::vector<glia::metrics::RocPoint>& pooled, double pooled_auc,
                    const std::vector<std::vector<glia::metrics::RocPoint>>& folds);

// A reliability diagram: each bin's fraction of positives against its mean predicted
// probability (dot size by count), the diagonal of perfect calibration, and the ECE.
std::string calibration_svg(const std::vector<glia::metrics::ReliabilityBin>& bins, double ece);

// A cross-validation's roc.svg (the pooled curve over each fold's) and calibration.svg, in `dir`.
void write_cv_plots(const std::string& dir, const glia::train::CrossValidationResult& cv);

}  // namespace brain_tumor
