#include "glia/metrics/binary.hpp"

#include <algorithm>
#include <numeric>

#include "glia/ops/loss.hpp"
#include "glia/support/check.hpp"

namespace glia::metrics {
namespace {

void check_inputs(const char* op, size_t scores, const std::vector<int>& labels) {
  check_arg(scores == labels.size(), op, scores, " scores but ", labels.size(), " labels");
  for (size_t i = 0; i < labels.size(); ++i) {
    check_arg(labels[i] == 0 || labels[i] == 1, op, "label ", labels[i], " at ", i,
              " is not 0 or 1");
  }
}

}  // namespace

double roc_auc(const std::vector<float>& scores, const std::vector<int>& labels) {
  check_inputs("roc_auc", scores.size(), labels);
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]]) {
        positive_rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const int64_t negatives = static_cast<int64_t>(n) - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1) / 2.0) / (p * static_cast<double>(negatives));
}

std::vector<RocPoint> roc_curve(const std::vector<float>& scores, const std::vector<int>& labels) {
  check_inputs("roc_curve", scores.size(), labels);
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  const int64_t positives = std::count(labels.begin(), labels.end(), 1);
  const int64_t negatives = static_cast<int64_t>(labels.size()) - positives;
  std::vector<RocPoint> curve{{0.0, 0.0}};
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    for (; j < order.size() && scores[order[j]] == scores[order[i]]; ++j) {
      (labels[order[j]] ? tp : fp) += 1;
    }
    curve.push_back({negatives ? static_cast<double>(fp) / static_cast<double>(negatives) : 0.0,
                     positives ? static_cast<double>(tp) / static_cast<double>(positives) : 0.0});
    i = j;
  }
  return curve;
}

BinaryMetrics binary_metrics(const std::vector<float>& logits, const std::vector<int>& labels) {
  check_inputs("binary_metrics", logits.size(), labels);
  BinaryMetrics m;
  m.count = static_cast<int64_t>(logits.size());
  if (m.count == 0) return m;
  double loss = 0;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double z = logits[i];
    const int y = labels[i];
    loss += binary_cross_entropy_with_logit(z, static_cast<double>(y));
    const bool predicted = z > 0.0;  // sigmoid(z) > 0.5
    if (predicted && y) ++m.tp;
    if (predicted && !y) ++m.fp;
    if (!predicted && y) ++m.fn;
    if (!predicted && !y) ++m.tn;
  }
  auto ratio = [](int64_t a, int64_t b) {
    return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  m.log_loss = loss / static_cast<double>(m.count);
  m.accuracy = ratio(m.tp + m.tn, m.count);
  m.precision = ratio(m.tp, m.tp + m.fp);
  m.recall = ratio(m.tp, m.tp + m.fn);
  m.f1 = ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn);
  m.roc_auc = roc_auc(logits, labels);
  return m;
}

}  // namespace glia::metrics
