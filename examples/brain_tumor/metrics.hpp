// Binary classification metrics: accuracy, precision, recall, F1, ROC AUC, confusion matrix.
#pragma once

#include <cstdint>
#include <vector>

namespace brain_tumor {

struct Metrics {
  int64_t count = 0;
  int64_t tn = 0, fp = 0, fn = 0, tp = 0;  // confusion [[tn, fp], [fn, tp]], threshold 0.5
  double loss = 0;                         // mean binary cross-entropy
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;
  double roc_auc = 0;  // 0.5 when only one class is present (undefined)
};

// From logits (before the sigmoid) and labels in {0, 1}. Precision, recall and F1 are 0 when
// their denominator is (as scikit-learn with zero_division=0).
Metrics compute_metrics(const std::vector<float>& logits, const std::vector<int>& labels);

// Area under the ROC curve by the rank-sum (Mann-Whitney) formula; ties count one half.
double roc_auc(const std::vector<float>& scores, const std::vector<int>& labels);

}  // namespace brain_tumor
