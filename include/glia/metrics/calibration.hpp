// Calibration of predicted probabilities for the positive class, against labels in {0, 1}.
//
// brier_score: mean (p - y)^2 (sklearn's brier_score_loss).
// reliability: `bins` equal-width probability bins on [0, 1] (the last one closed), each with
//   its count, mean predicted probability and fraction of positives (sklearn's
//   calibration_curve with strategy 'uniform', plus the empty bins).
// expected_calibration_error: sum over bins of count / N * |fraction positive - mean
//   probability| (Guo et al. 2017, ECE with equal-width bins).
#pragma once

#include <cstdint>
#include <vector>

namespace glia::metrics {

double brier_score(const std::vector<double>& probabilities, const std::vector<int>& labels);

struct ReliabilityBin {
  double lower = 0, upper = 0;
  int64_t count = 0;
  double mean_probability = 0, fraction_positive = 0;  // 0 for an empty bin
};
std::vector<ReliabilityBin> reliability(const std::vector<double>& probabilities,
                                        const std::vector<int>& labels, int bins = 10);

double expected_calibration_error(const std::vector<double>& probabilities,
                                  const std::vector<int>& labels, int bins = 10);

}  // namespace glia::metrics
