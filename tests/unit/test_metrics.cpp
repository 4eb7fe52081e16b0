// glia::metrics against scikit-learn (tests/golden/make_metrics_golden.py) and known cases.
#include <cmath>

#include "golden_file.hpp"

using namespace glia;
using glia::testing::load_golden;

namespace {

std::vector<float> floats(const Tensor& t) {
  return std::vector<float>(t.data(), t.data() + t.numel());
}
std::vector<int> ints(const Tensor& t) {
  std::vector<int> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(static_cast<int>(t.data()[i]));
  return out;
}

}  // namespace

TEST_CASE("metrics: binary metrics, ROC curve and calibration match scikit-learn") {
  auto g = load_golden("metrics.txt");
  const std::vector<float> z = floats(g.at("binary.logits"));
  const std::vector<int> y = ints(g.at("binary.labels"));
  const metrics::BinaryMetrics m = metrics::binary_metrics(z, y);
  CHECK(m.accuracy == Approx(g.at("binary.accuracy").item()));
  CHECK(m.precision == Approx(g.at("binary.precision").item()));
  CHECK(m.recall == Approx(g.at("binary.recall").item()));
  CHECK(m.f1 == Approx(g.at("binary.f1").item()));
  CHECK(m.roc_auc == Approx(g.at("binary.roc_auc").item()));
  CHECK(m.log_loss == Approx(g.at("binary.log_loss").item()).epsilon(1e-6));
  const std::vector<int> confusion = ints(g.at("binary.confusion"));
  CHECK(std::vector<int64_t>{m.tn, m.fp, m.fn, m.tp} ==
        std::vector<int64_t>(confusion.begin(), confusion.end()));
  CHECK(m.count == 61);

  const std::vector<metrics::RocPoint> roc = metrics::roc_curve(z, y);
  const Tensor fpr = g.at("binary.roc_fpr"), tpr = g.at("binary.roc_tpr");
  REQUIRE(static_cast<int64_t>(roc.size()) == fpr.numel());
  for (size_t i = 0; i < roc.size(); ++i) {
    CHECK(roc[i].false_positive_rate == Approx(fpr.data()[i]));
    CHECK(roc[i].true_positive_rate == Approx(tpr.data()[i]));
  }

  std::vector<double> p;
  for (float v : z) p.push_back(sigmoid(static_cast<double>(v)));
  CHECK(metrics::brier_score(p, y) == Approx(g.at("binary.brier").item()).epsilon(1e-6));
  CHECK(metrics::expected_calibration_error(p, y) ==
        Approx(g.at("binary.ece").item()).epsilon(1e-6));
  const auto bins = metrics::reliability(p, y, 10);
  int64_t total = 0;
  for (const auto& b : bins) total += b.count;
  CHECK(total == 61);
}

TEST_CASE("metrics: multi-class accuracy, confusion matrix and log loss match scikit-learn") {
  auto g = load_golden("metrics.txt");
  const metrics::MulticlassMetrics m =
      metrics::multiclass_metrics(g.at("multi.logits"), ints(g.at("multi.labels")));
  CHECK(m.accuracy == Approx(g.at("multi.accuracy").item()));
  CHECK(m.log_loss == Approx(g.at("multi.log_loss").item()).epsilon(1e-6));
  const Tensor expected = g.at("multi.confusion");
  REQUIRE(m.classes == 4);
  for (int64_t t = 0; t < 4; ++t) {
    for (int64_t p = 0; p < 4; ++p) {
      CHECK(m.confusion[static_cast<size_t>(t)][static_cast<size_t>(p)] ==
            static_cast<int64_t>(expected.data()[t * 4 + p]));
    }
  }
}

TEST_CASE("metrics: known small cases and bad input") {
  // logits > 0 predict "yes"
  const metrics::BinaryMetrics m =
      metrics::binary_metrics({2.0f, 1.0f, -1.0f, 0.5f, -2.0f, -0.5f}, {1, 1, 1, 0, 0, 0});
  CHECK(m.tp == 2);
  CHECK(m.fn == 1);
  CHECK(m.fp == 1);
  CHECK(m.tn == 2);
  CHECK(m.f1 == Approx(2.0 / 3));
  CHECK(m.roc_auc == Approx(7.0 / 9));  // 7 of the 9 (yes, no) pairs ranked right
  CHECK(metrics::roc_auc({0.3f, 0.3f}, {1, 0}) == Approx(0.5));
  CHECK(metrics::roc_auc({0.1f, 0.2f}, {1, 1}) == Approx(0.5));  // one class only
  const metrics::BinaryMetrics none = metrics::binary_metrics({-1.0f, -2.0f}, {0, 0});
  CHECK(none.precision == 0.0);  // zero_division = 0
  CHECK(none.f1 == 0.0);
  CHECK_THROWS_WITH(metrics::binary_metrics({1.0f}, {2}), Catch::Contains("label 2"));
  CHECK_THROWS_WITH(metrics::binary_metrics({1.0f, 2.0f}, {1}), Catch::Contains("2 scores"));
  CHECK_THROWS_WITH(metrics::brier_score({1.5}, {1}), Catch::Contains("outside [0, 1]"));
  CHECK_THROWS_WITH(metrics::multiclass_metrics(Tensor::zeros({2, 3}), {0, 3}),
                    Catch::Contains("label 3"));
  // A perfectly calibrated set: ECE 0.
  CHECK(metrics::expected_calibration_error({0.25, 0.25, 0.25, 0.25}, {1, 0, 0, 0}) ==
        Approx(0.0).margin(1e-12));
}

TEST_CASE("metrics: bootstrap intervals are seeded, contain the estimate and narrow with n") {
  std::vector<int> correct;
  for (int i = 0; i < 400; ++i) correct.push_back(i % 5 != 0);  // accuracy 0.8
  auto accuracy_of = [&](size_t n) {
    return [&, n](const std::vector<size_t>& sample) {
      double hits = 0;
      for (size_t i : sample) hits += correct[i % n];
      return hits / static_cast<double>(sample.size());
    };
  };
  const metrics::Interval small = metrics::bootstrap_interval(50, accuracy_of(50), 2000, 3);
  const metrics::Interval large = metrics::bootstrap_interval(400, accuracy_of(400), 2000, 3);
  CHECK(small.low < 0.8);
  CHECK(small.high > 0.8);
  CHECK(large.high - large.low < small.high - small.low);
  // The binomial standard error at n = 400 is 0.02: a 95% interval spans about 0.078.
  CHECK(large.high - large.low == Approx(0.078).margin(0.012));
  const metrics::Interval again = metrics::bootstrap_interval(400, accuracy_of(400), 2000, 3);
  CHECK(again.low == large.low);
  CHECK(again.high == large.high);
  CHECK_THROWS_AS(metrics::bootstrap_interval(0, accuracy_of(1)), std::invalid_argument);
}

TEST_CASE("metrics: fit_temperature undoes a known over-confidence and minimises the log loss") {
  // Labels drawn from sigmoid(z); the model reports 2.5 z, so the right temperature is 2.5.
  Rng rng(41);
  std::vector<float> logits;
  std::vector<int> labels;
  for (int i = 0; i < 20000; ++i) {
    const float z = rng.uniform(-3.0f, 3.0f);
    labels.push_back(rng.uniform() < sigmoid(z) ? 1 : 0);
    logits.push_back(2.5f * z);
  }
  const double t = metrics::fit_temperature(logits, labels);
  CHECK(t == Approx(2.5).epsilon(0.05));
  auto loss_at = [&](double temperature) {
    std::vector<float> scaled;
    for (float z : logits) scaled.push_back(static_cast<float>(z / temperature));
    return metrics::binary_metrics(scaled, labels).log_loss;
  };
  CHECK(loss_at(t) <= loss_at(t * 1.02));
  CHECK(loss_at(t) <= loss_at(t / 1.02));

  CHECK(metrics::fit_temperature({}, {}) == 1.0);
  // Separable logits: the sharper the better, up to the search's bound.
  CHECK(metrics::fit_temperature({-1, 1}, {0, 1}) == Approx(0.01).epsilon(1e-3));
  CHECK_THROWS_WITH(metrics::fit_temperature({0.5f}, {2}), Catch::Contains("not 0 or 1"));
  CHECK_THROWS_WITH(metrics::fit_temperature({0.5f, 1}, {1}), Catch::Contains("2 logits"));
  CHECK_THROWS_WITH(metrics::fit_temperature({std::nanf("")}, {1}), Catch::Contains("not finite"));
}
