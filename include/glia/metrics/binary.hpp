/// @file
/// Binary classification metrics, from logits (scores before the sigmoid) and labels in {0, 1}.
///
/// Definitions follow scikit-learn: the predicted class is 1 when the logit is > 0 (probability
/// > 0.5); precision, recall and F1 are 0 when their denominator is (zero_division=0); ROC AUC
/// by the rank-sum (Mann-Whitney) formula, ties counting one half, and 0.5 when only one class
/// is present (sklearn raises there); log loss is the mean binary cross-entropy.
#pragma once

#include <cstdint>
#include <vector>

namespace glia::metrics {

/// The usual figures of a binary classifier at threshold 0.5 (see binary_metrics).
struct BinaryMetrics {
  /// examples
  int64_t count = 0;
  ///@{
  /// confusion matrix [[tn, fp], [fn, tp]]
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;
  ///@}
  /// mean binary cross-entropy of the probabilities
  double log_loss = 0;
  ///@{
  /// at threshold 0.5; precision and recall are 0 when undefined, as scikit-learn's zero_division=0
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;
  ///@}
  /// area under the ROC curve; 0.5 when one class is absent
  double roc_auc = 0.5;
};

/// Throws std::invalid_argument when the sizes differ or a label is not 0 or 1.
BinaryMetrics binary_metrics(const std::vector<float>& logits, const std::vector<int>& labels);

/// Area under the ROC curve of scores against 0/1 labels (ties counted half), as
/// sklearn.metrics.roc_auc_score.
double roc_auc(const std::vector<float>& scores, const std::vector<int>& labels);

/// The ROC curve's corner points, from (0, 0) to (1, 1), one per distinct score (descending).
struct RocPoint {
  ///@{
  /// one threshold's rates
  double false_positive_rate, true_positive_rate;
  ///@}
};
/// The ROC curve of scores against 0/1 labels, as RocPoint describes.
std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<int>& labels);

}  // namespace glia::metrics
