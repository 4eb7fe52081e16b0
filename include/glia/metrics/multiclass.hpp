/// @file
/// Multi-class classification metrics from logits {N, K} and labels in [0, K).
///
/// top-1 accuracy (the predicted class is the first largest logit, as argmax), a K x K confusion
/// matrix (row: true class, column: predicted, as sklearn's confusion_matrix), and the log loss
/// (mean cross-entropy of softmax(logits)).
#pragma once

#include <cstdint>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia::metrics {

/// The usual figures of a multi-class classifier (see multiclass_metrics).
struct MulticlassMetrics {
  ///@{
  /// examples and classes
  int64_t count = 0, classes = 0;
  ///@}
  double accuracy = 0;  ///< top-1
  /// mean cross-entropy of the predicted probabilities
  double log_loss = 0;
  std::vector<std::vector<int64_t>> confusion;  ///< [true][predicted]
};

/// Throws std::invalid_argument for shapes that do not match or labels outside [0, K).
MulticlassMetrics multiclass_metrics(const Tensor& logits, const std::vector<int>& labels);

/// The predicted class of each row of logits {N, K}.
std::vector<int> argmax_rows(const Tensor& logits);

}  // namespace glia::metrics
