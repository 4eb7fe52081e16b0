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

double fit_temperature(const std::vector<float>& logits, const std::vector<int>& labels) {
  check_arg(logits.size() == labels.size(), "fit_temperature", logits.size(), " logits but ",
            labels.size(), " labels");
  for (size_t i = 0; i < logits.size(); ++i) {
    check_arg(std::isfinite(logits[i]), "fit_temperature", "logit ", logits[i], " at ", i,
              " is not finite");
    check_arg(labels[i] == 0 || labels[i] == 1, "fit_temperature", "label ", labels[i], " at ", i,
              " is not 0 or 1");
  }
  if (logits.empty()) return 1.0;
  // Log loss as a function of a = 1 / T: convex, so a golden-section search over log a finds
  // its minimum on [1/100, 100].
  auto log_loss = [&](double a) {
    double total = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      const double z = a * logits[i];
      total += std::max(z, 0.0) - z * labels[i] + std::log1p(std::exp(-std::fabs(z)));
    }
    return total;
  };
  const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
  double lo = std::log(0.01), hi = std::log(100.0);
  double x1 = hi - golden * (hi - lo), x2 = lo + golden * (hi - lo);
  double f1 = log_loss(std::exp(x1)), f2 = log_loss(std::exp(x2));
  while (hi - lo > 1e-6) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - golden * (hi - lo);
      f1 = log_loss(std::exp(x1));
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + golden * (hi - lo);
      f2 = log_loss(std::exp(x2));
    }
  }
  return 1.0 / std::exp(0.5 * (lo + hi));
}

}  // namespace glia::metrics
