// Run outputs: history.csv, SVG learning curves, and the JSON form of metrics for reports.
#pragma once

#include <string>
#include <vector>

#include <glia/metrics/binary.hpp>
#include <glia/metrics/calibration.hpp>
#include <glia/train/trainer.hpp>
#include <nlohmann/json.hpp>

namespace brain_tumor {

using Json = nlohmann::ordered_json;  // keys stay in the order they are written

// epoch,loss,accuracy,val_loss,val_accuracy: what the run computed, and nothing that depends
// on the machine's load (epoch times are in report.json), so that a resumed run writes the same
// bytes as an unbroken one.
std::string history_csv(const glia::train::History& history);

// A line chart of two series against epoch, with axes, ticks, labels and a legend.
std::string learning_curve_svg(const std::string& title, const std::string& y_label,
                               const std::vector<double>& train, const std::vector<double>& val);

// {"accuracy", "f1", "precision", "recall", "roc_auc", "loss", "confusion": [[tn, fp], [fn, tp]],
//  "count"}
Json metrics_json(const glia::metrics::BinaryMetrics& m);

// The pooled ROC curve (bold) over the folds' (faint), with the chance line, axes, a legend and
// the pooled AUC in the title.
std::string roc_svg(const std::vector<glia::metrics::RocPoint>& pooled, double pooled_auc,
                    const std::vector<std::vector<glia::metrics::RocPoint>>& folds);

// A reliability diagram: each bin's fraction of positives against its mean predicted
// probability (dot size by count), the diagonal of perfect calibration, and the ECE.
std::string calibration_svg(const std::vector<glia::metrics::ReliabilityBin>& bins, double ece);

}  // namespace brain_tumor
