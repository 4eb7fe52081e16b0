/// @file
/// Calibration of predicted probabilities for the positive class, against labels in {0, 1}.
///
/// brier_score: mean (p - y)^2 (sklearn's brier_score_loss).
/// reliability: `bins` equal-width probability bins on [0, 1] (the last one closed), each with
///   its count, mean predicted probability and fraction of positives (sklearn's
///   calibration_curve with strategy 'uniform', plus the empty bins).
/// expected_calibration_error: sum over bins of count / N * |fraction positive - mean
///   probability| (Guo et al. 2017, ECE with equal-width bins).
/// fit_temperature: temperature scaling (Guo et al. 2017): the T > 0 whose sigmoid(z / T) has
///   the lowest log loss on held-out logits z. Dividing later logits by T calibrates them
///   without changing any decision (the sign of z / T is the sign of z).
#pragma once

#include <cstdint>
#include <vector>

namespace glia::metrics {

/// Mean squared difference between probabilities and 0/1 labels.
double brier_score(const std::vector<double>& probabilities, const std::vector<int>& labels);

/// One bin of a reliability diagram.
struct ReliabilityBin {
  ///@{
  /// the bin's probability range [lower, upper)
  double lower = 0, upper = 0;
  ///@}
  /// predictions in the bin
  int64_t count = 0;
  ///@{
  /// 0 for an empty bin
  double mean_probability = 0, fraction_positive = 0;
  ///@}
};
/// The predictions in `bins` equal-width bins over [0, 1] (1.0 falls in the last).
std::vector<ReliabilityBin> reliability(const std::vector<double>& probabilities,
                                        const std::vector<int>& labels, int bins = 10);

/// The bins' |mean probability - fraction positive|, weighted by their counts (ECE).
double expected_calibration_error(const std::vector<double>& probabilities,
                                  const std::vector<int>& labels, int bins = 10);

/// The temperature T in [1/100, 100] minimising the log loss of sigmoid(logits / T) against the
/// 0/1 labels (see above); 1 for no logits. The loss is convex in 1 / T, so the minimum found is
/// the global one (to a relative 1e-6).
double fit_temperature(const std::vector<float>& logits, const std::vector<int>& labels);

}  // namespace glia::metrics
