#include "glia/metrics/multiclass.hpp"

#include <cmath>

namespace glia::metrics {

std::vector<int> argmax_rows(const Tensor& logits) {
  check_arg(logits.defined() && logits.dim() == 2, "argmax_rows", "expects logits {N, K}, got ",
            shape_str(logits));
  const int64_t n = logits.size(0), k = logits.size(1);
  std::vector<int> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data() + i * k;
    int64_t best = 0;
    for (int64_t j = 1; j < k; ++j) {
      if (row[j] > row[best]) best = j;
    }
    out[static_cast<size_t>(i)] = static_cast<int>(best);
  }
  return out;
}

MulticlassMetrics multiclass_metrics(const Tensor& logits, const std::vector<int>& labels) {
  check_arg(logits.defined() && logits.dim() == 2 && logits.size(1) >= 1, "multiclass_metrics",
            "expects logits {N, K}, got ",
            shape_str(logits));
  const int64_t n = logits.size(0), k = logits.size(1);
  check_arg(static_cast<int64_t>(labels.size()) == n, "multiclass_metrics", "logits ",
            shape_str(logits.shape()), " but ", labels.size(), " labels");
  MulticlassMetrics m;
  m.count = n;
  m.classes = k;
  m.confusion.assign(static_cast<size_t>(k), std::vector<int64_t>(static_cast<size_t>(k), 0));
  const std::vector<int> predicted = argmax_rows(logits);
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int y = labels[static_cast<size_t>(i)];
    check_arg(y >= 0 && y < k, "multiclass_metrics", "label ", y, " at ", i, " is not in [0, ", k,
              ")");
    const int p = predicted[static_cast<size_t>(i)];
    ++m.confusion[static_cast<size_t>(y)][static_cast<size_t>(p)];
    correct += p == y;
    const float* row = logits.data() + i * k;
    double top = row[0];
    for (int64_t j = 1; j < k; ++j) top = std::max(top, static_cast<double>(row[j]));
    double total = 0;
    for (int64_t j = 0; j < k; ++j) total += std::exp(row[j] - top);
    loss += top + std::log(total) - row[y];
  }
  if (n) {
    m.accuracy = static_cast<double>(correct) / static_cast<double>(n);
    m.log_loss = loss / static_cast<double>(n);
  }
  return m;
}

}  // namespace glia::metrics
