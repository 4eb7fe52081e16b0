#include "glia/metrics/calibration.hpp"

#include <algorithm>
#include <cmath>

#include "glia/support/check.hpp"

namespace glia::metrics {
namespace {

void check_inputs(const char* op, const std::vector<double>& p, const std::vector<int>& labels) {
  check_arg(p.size() == labels.size(), op, p.size(), " probabilities but ", labels.size(),
            " labels");
  for (size_t i = 0; i < p.size(); ++i) {
    check_arg(p[i] >= 0.0 && p[i] <= 1.0, op, "probability ", p[i], " at ", i,
              " is outside [0, 1]");
    check_arg(labels[i] == 0 || labels[i] == 1, op, "label ", labels[i], " at ", i,
              " is not 0 or 1");
  }
}

}  // namespace

double brier_score(const std::vector<double>& probabilities, const std::vector<int>& labels) {
  check_inputs("brier_score", probabilities, labels);
  if (probabilities.empty()) return 0.0;
  double total = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double d = probabilities[i] - labels[i];
    total += d * d;
  }
  return total / static_cast<double>(labels.size());
}

std::vector<ReliabilityBin> reliability(const std::vector<double>& probabilities,
                                        const std::vector<int>& labels, int bins) {
  check_inputs("reliability", probabilities, labels);
  check_arg(bins >= 1, "reliability", "needs at least one bin, got ", bins);
  std::vector<ReliabilityBin> out(static_cast<size_t>(bins));
  std::vector<double> sum_p(out.size(), 0.0), positives(out.size(), 0.0);
  for (size_t b = 0; b < out.size(); ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    // Bin b holds [b / bins, (b + 1) / bins); probability 1 goes to the last bin.
    const size_t b =
        std::min(out.size() - 1, static_cast<size_t>(std::floor(probabilities[i] * bins)));
    ++out[b].count;
    sum_p[b] += probabilities[i];
    positives[b] += labels[i];
  }
  for (size_t b = 0; b < out.size(); ++b) {
    if (!out[b].count) continue;
    out[b].mean_probability = sum_p[b] / static_cast<double>(out[b].count);
    out[b].fraction_positive = positives[b] / static_cast<double>(out[b].count);
  }
  return out;
}

double expected_calibration_error(const std::vector<double>& probabilities,
                                  const std::vector<int>& labels, int bins) {
  const std::vector<ReliabilityBin> table = reliability(probabilities, labels, bins);
  if (labels.empty()) return 0.0;
  double ece = 0;
  for (const ReliabilityBin& b : table) {
    ece += static_cast<double>(b.count) / static_cast<double>(labels.size()) *
           std::fabs(b.fraction_positive - b.mean_probability);
  }
  return ece;
}

}  // namespace glia::metrics
