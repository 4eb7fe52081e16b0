#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>

#include <glia/io/atomic_file.hpp>

namespace brain_tumor {

namespace {

// Round tick steps (1, 2, 5 x 10^k) giving about `target` ticks over a span.
double nice_step(double span, int target) {
  const double raw = span / target, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (raw <= m * magnitude) return m * magnitude;
  }
  return 10.0 * magnitude;
}

std::string fmt(double v, const char* pattern = "%.4g") {
  char buf[64];
  std::snprintf(buf, sizeof(buf), pattern, v);
  return buf;
}

// The one chart every plot of the example is drawn on: a plot area with linear axes over
// [x0, x1] x [y0, y1], grid lines and ticks every `x_step` / `y_step`, axis labels, a title;
// series drawn as polylines and dots; a legend.
class Chart {
 public:
  struct Axis {
    double lo, hi, step;
    const char* format;
  };
  Chart(double width, double height, const std::string& title, const std::string& x_label,
        const std::string& y_label, Axis x, Axis y)
      : x_(x), y_(y), plot_w_(width - kLeft - kRight), plot_h_(height - kTop - kBottom) {
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << width / 2 << "\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">"
        << title << "</text>\n";
    for (double v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
      line(x.lo, v, x.hi, v, "#e6e6e6");
      svg << "<text x=\"" << px(x.lo) - 6 << "\" y=\"" << py(v) + 4 << "\" text-anchor=\"end\">"
          << fmt(v, y.format) << "</text>\n";
    }
    for (double v = x.lo; v <= x.hi + x.step / 2; v += x.step) {
      line(v, y.lo, v, y.hi, "#e6e6e6");
      svg << "<text x=\"" << px(v) << "\" y=\"" << py(y.lo) + 18 << "\" text-anchor=\"middle\">"
          << fmt(v, x.format) << "</text>\n";
    }
    svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << plot_w_ << "\" height=\""
        << plot_h_ << "\" fill=\"none\" stroke=\"black\"/>\n"
        << "<text x=\"" << kLeft + plot_w_ / 2 << "\" y=\"" << height - 18
        << "\" text-anchor=\"middle\">" << x_label << "</text>\n"
        << "<text transform=\"translate(20," << kTop + plot_h_ / 2
        << ") rotate(-90)\" text-anchor=\"middle\">" << y_label << "</text>\n";
  }
  double px(double v) const { return kLeft + (v - x_.lo) / (x_.hi - x_.lo) * plot_w_; }
  double py(double v) const { return kTop + (y_.hi - v) / (y_.hi - y_.lo) * plot_h_; }

  void line(double x0, double y0, double x1, double y1, const char* colour,
            const char* dash = nullptr) {
    svg << "<line x1=\"" << px(x0) << "\" y1=\"" << py(y0) << "\" x2=\"" << px(x1) << "\" y2=\""
        << py(y1) << "\" stroke=\"" << colour << "\"";
    if (dash) svg << " stroke-dasharray=\"" << dash << "\"";
    svg << "/>\n";
  }
  void polyline(const std::vector<std::pair<double, double>>& points, const char* colour,
                double width, double opacity = 1.0) {
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"" << width
        << "\" stroke-opacity=\"" << opacity << "\" points=\"";
    for (const auto& [x, y] : points) svg << px(x) << "," << py(y) << " ";
    svg << "\"/>\n";
  }
  void dot(double x, double y, double radius, const char* colour, double opacity = 1.0) {
    svg << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y) << "\" r=\"" << radius << "\" fill=\""
        << colour << "\" fill-opacity=\"" << opacity << "\"/>\n";
  }
  // Legend entries (label, colour, opacity), a box whose top-left is at (x, y) in data units.
  void legend(const std::vector<std::tuple<std::string, const char*, double>>& entries, double x,
              double y, double box_width = 200) {
    const double at_x = px(x), at_y = py(y);
    svg << "<rect x=\"" << at_x - 6 << "\" y=\"" << at_y - 14 << "\" width=\"" << box_width
        << "\" height=\"" << 18.0 * static_cast<double>(entries.size()) + 8
        << "\" fill=\"white\" stroke=\"#aaa\"/>\n";
    for (size_t i = 0; i < entries.size(); ++i) {
      const auto& [label, colour, opacity] = entries[i];
      const double ly = at_y + 18.0 * static_cast<double>(i) - 4;
      svg << "<line x1=\"" << at_x << "\" x2=\"" << at_x + 22 << "\" y1=\"" << ly << "\" y2=\""
          << ly << "\" stroke=\"" << colour << "\" stroke-width=\"2\" stroke-opacity=\"" << opacity
          << "\"/><text x=\"" << at_x + 28 << "\" y=\"" << ly + 4 << "\">" << label << "</text>\n";
    }
  }
  std::string finish() {
    svg << "</svg>\n";
    return svg.str();
  }

  std::ostringstream svg;

 private:
  static constexpr double kLeft = 70, kRight = 30, kTop = 44, kBottom = 60;
  Axis x_, y_;
  double plot_w_, plot_h_;
};

// The unit square of probabilities, with the diagonal.
Chart unit_chart(const std::string& title, const std::string& x_label, const std::string& y_label) {
  Chart chart(520, 524, title, x_label, y_label, {0, 1, 0.2, "%.1f"}, {0, 1, 0.2, "%.1f"});
  chart.line(0, 0, 1, 1, "#999", "5,4");
  return chart;
}

std::vector<std::pair<double, double>> points_of(const std::vector<glia::metrics::RocPoint>& c) {
  std::vector<std::pair<double, double>> out;
  for (const auto& p : c) out.push_back({p.false_positive_rate, p.true_positive_rate});
  return out;
}

}  // namespace

std::string learning_curve_svg(const std::string& title, const std::string& y_label,
                               const std::vector<double>& train, const std::vector<double>& val) {
  double lo = 1e300, hi = -1e300;
  for (const auto* series : {&train, &val}) {
    for (double v : *series) {
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (lo > hi) lo = 0, hi = 1;
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double step = nice_step(hi - lo, 5);
  const double epochs =
      std::max<double>(2.0, static_cast<double>(std::max(train.size(), val.size())));
  Chart chart(640, 420, title, "epoch", y_label,
              {1, epochs, std::max(1.0, nice_step(epochs, 8)), "%.0f"},
              {std::floor(lo / step) * step, std::ceil(hi / step) * step, step, "%.4g"});
  const std::pair<const std::vector<double>*, const char*> series[] = {{&train, "#1f77b4"},
                                                                       {&val, "#ff7f0e"}};
  for (const auto& [values, colour] : series) {
    std::vector<std::pair<double, double>> points;
    for (size_t i = 0; i < values->size(); ++i)
      points.push_back({static_cast<double>(i + 1), (*values)[i]});
    chart.polyline(points, colour, 2);
    for (const auto& [x, y] : points) chart.dot(x, y, 2.5, colour);
  }
  chart.legend({{"training", "#1f77b4", 1.0}, {"validation", "#ff7f0e", 1.0}},
               1 + 0.72 * (epochs - 1), std::ceil(hi / step) * step - 0.04 * (std::ceil(hi / step) - std::floor(lo / step)) * step, 130);
  return chart.finish();
}

Json metrics_json(const glia::metrics::BinaryMetrics& m) {
  return Json::parse(glia::metrics::to_json(m));
}

std::string roc_svg(const std::vector<glia::metrics::RocPoint>& pooled, double pooled_auc,
                    const std::vector<std::vector<glia::metrics::RocPoint>>& folds) {
  Chart plot =
      unit_chart("ROC curve, out-of-fold predictions (AUC " + fmt(pooled_auc, "%.3f") + ")",
                 "false positive rate (1 - specificity)", "true positive rate (sensitivity)");
  for (const auto& fold : folds) plot.polyline(points_of(fold), "#1f77b4", 1.2, 0.3);
  plot.polyline(points_of(pooled), "#d62728", 2.5);
  plot.legend({{"pooled over the folds", "#d62728", 1.0},
               {"each fold", "#1f77b4", 0.4},
               {"chance", "#999999", 1.0}},
              0.55, 0.3);
  return plot.finish();
}

std::string calibration_svg(const std::vector<glia::metrics::ReliabilityBin>& bins, double ece) {
  Chart plot =
      unit_chart("Reliability diagram, out-of-fold predictions",
                 "mean predicted probability of a tumour", "fraction of scans with a tumour");
  std::vector<std::pair<double, double>> points;
  int64_t total = 0;
  for (const auto& b : bins) total += b.count;
  for (const auto& b : bins) {
    if (!b.count) continue;
    points.push_back({b.mean_probability, b.fraction_positive});
    const double radius =
        3 + 12 * std::sqrt(static_cast<double>(b.count) / std::max<int64_t>(total, 1));
    plot.dot(b.mean_probability, b.fraction_positive, radius, "#1f77b4", 0.6);
  }
  plot.polyline(points, "#1f77b4", 2);
  plot.legend({{"10 equal-width bins (dot: count)", "#1f77b4", 1.0},
               {"perfect calibration", "#999999", 1.0}},
              0.04, 0.95);
  plot.svg << "<text x=\"" << plot.px(0.96) << "\" y=\"" << plot.py(0.06)
           << "\" text-anchor=\"end\" font-size=\"14\">expected calibration error "
           << fmt(ece, "%.3f") << "</text>\n";
  return plot.finish();
}

void write_cv_plots(const std::string& dir, const glia::train::CrossValidationResult& cv) {
  std::vector<std::vector<float>> fold_logits;
  std::vector<std::vector<int>> fold_labels;
  for (size_t i = 0; i < cv.fold_of.size(); ++i) {
    const size_t f = static_cast<size_t>(cv.fold_of[i]);
    if (f >= fold_logits.size()) {
      fold_logits.resize(f + 1);
      fold_labels.resize(f + 1);
    }
    fold_logits[f].push_back(cv.logits[i]);
    fold_labels[f].push_back(cv.labels[i]);
  }
  std::vector<std::vector<glia::metrics::RocPoint>> fold_curves;
  for (size_t f = 0; f < fold_logits.size(); ++f)
    fold_curves.push_back(glia::metrics::roc_curve(fold_logits[f], fold_labels[f]));
  const std::string root = dir + "/";
  glia::io::write_file_atomically(
      root + "roc.svg",
      roc_svg(glia::metrics::roc_curve(cv.logits, cv.labels), cv.binary.roc_auc, fold_curves));
  glia::io::write_file_atomically(root + "calibration.svg",
                                  calibration_svg(cv.reliability, cv.ece));
}

void write_histories(const std::string& dir, const std::vector<glia::train::History>& histories,
                     bool curves) {
  const std::string root = dir + "/";
  for (size_t k = 0; k < histories.size(); ++k) {
    const std::string name = k == 0 ? "history.csv" : "history-" + std::to_string(k + 1) + ".csv";
    glia::io::write_file_atomically(root + name, glia::train::history_csv(histories[k]));
  }
  if (!curves || histories.empty()) return;
  std::vector<double> loss, val_loss, acc, val_acc;
  for (const glia::train::EpochLog& r : histories[0]) {
    loss.push_back(r.loss);
    val_loss.push_back(r.val_loss);
    acc.push_back(r.accuracy);
    val_acc.push_back(r.val_accuracy);
  }
  glia::io::write_file_atomically(root + "loss.svg",
                                  learning_curve_svg("Loss", "loss", loss, val_loss));
  glia::io::write_file_atomically(root + "accuracy.svg",
                                  learning_curve_svg("Accuracy", "accuracy", acc, val_acc));
}

}  // namespace brain_tumor
