#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <tuple>

#include <glia/io/atomic_file.hpp>

namespace brain_tumor {

namespace {

// Round tick steps (1, 2, 5 x 10^k) giving about `target` ticks over [lo, hi].
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

}  // namespace

std::string learning_curve_svg(const std::string& title, const std::string& y_label,
                               const std::vector<double>& train, const std::vector<double>& val) {
  const double width = 640, height = 420, left = 70, right = 20, top = 40, bottom = 60;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const size_t epochs = std::max(train.size(), val.size());
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
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step) * step;
  const double x_max = std::max<double>(1.0, static_cast<double>(epochs));
  auto px = [&](double epoch) { return left + (epoch - 1) / std::max(1.0, x_max - 1) * plot_w; };
  auto py = [&](double v) { return top + (hi - v) / (hi - lo) * plot_h; };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << width / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">"
      << title << "</text>\n";
  for (double v = lo; v <= hi + step / 2; v += step) {  // horizontal grid and y ticks
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << py(v) << "\" y2=\""
        << py(v) << "\" stroke=\"#e0e0e0\"/>\n"
        << "<text x=\"" << left - 6 << "\" y=\"" << py(v) + 4 << "\" text-anchor=\"end\">" << fmt(v)
        << "</text>\n";
  }
  const double x_step = std::max(1.0, nice_step(x_max, 8));
  for (double e = 1; e <= x_max + 1e-9; e += x_step) {  // x ticks
    svg << "<line x1=\"" << px(e) << "\" x2=\"" << px(e) << "\" y1=\"" << top + plot_h << "\" y2=\""
        << top + plot_h + 5 << "\" stroke=\"black\"/>\n"
        << "<text x=\"" << px(e) << "\" y=\"" << top + plot_h + 18 << "\" text-anchor=\"middle\">"
        << fmt(e, "%.0f") << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\""
      << plot_h << "\" fill=\"none\" stroke=\"black\"/>\n"
      << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 18
      << "\" text-anchor=\"middle\">epoch</text>\n"
      << "<text transform=\"translate(18," << top + plot_h / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << y_label << "</text>\n";
  const std::pair<const std::vector<double>*, const char*> series[] = {{&train, "#1f77b4"},
                                                                       {&val, "#ff7f0e"}};
  for (const auto& [values, colour] : series) {
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < values->size(); ++i) {
      svg << px(static_cast<double>(i + 1)) << "," << py((*values)[i]) << " ";
    }
    svg << "\"/>\n";
    for (size_t i = 0; i < values->size(); ++i) {
      svg << "<circle cx=\"" << px(static_cast<double>(i + 1)) << "\" cy=\"" << py((*values)[i])
          << "\" r=\"2.5\" fill=\"" << colour << "\"/>\n";
    }
  }
  const double lx = left + plot_w - 130, ly = top + 12;
  svg << "<rect x=\"" << lx - 8 << "\" y=\"" << ly - 12 << "\" width=\"130\" height=\"44\" "
      << "fill=\"white\" stroke=\"#999\"/>\n"
      << "<line x1=\"" << lx << "\" x2=\"" << lx + 24 << "\" y1=\"" << ly << "\" y2=\"" << ly
      << "\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"" << lx + 30 << "\" y=\"" << ly + 4
      << "\">training</text>\n"
      << "<line x1=\"" << lx << "\" x2=\"" << lx + 24 << "\" y1=\"" << ly + 20 << "\" y2=\""
      << ly + 20 << "\" stroke=\"#ff7f0e\" stroke-width=\"2\"/><text x=\"" << lx + 30 << "\" y=\""
      << ly + 24 << "\">validation</text>\n"
      << "</svg>\n";
  return svg.str();
}

Json metrics_json(const glia::metrics::BinaryMetrics& m) {
  return Json::parse(glia::metrics::to_json(m));
}

namespace {

// A square plot of [0, 1] x [0, 1] with ticks every 0.2, grid, labelled axes and a title.
struct UnitPlot {
  static constexpr double kSize = 420, kLeft = 70, kTop = 50, kBottom = 60, kRight = 30;
  std::ostringstream svg;
  double x(double v) const { return kLeft + v * kSize; }
  double y(double v) const { return kTop + (1 - v) * kSize; }

  UnitPlot(const std::string& title, const std::string& x_label, const std::string& y_label) {
    const double width = kLeft + kSize + kRight, height = kTop + kSize + kBottom;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << width / 2 << "\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">"
        << title << "</text>\n";
    for (int i = 0; i <= 5; ++i) {
      const double v = i / 5.0;
      svg << "<line x1=\"" << x(0) << "\" x2=\"" << x(1) << "\" y1=\"" << y(v) << "\" y2=\"" << y(v)
          << "\" stroke=\"#e6e6e6\"/>"
          << "<line x1=\"" << x(v) << "\" x2=\"" << x(v) << "\" y1=\"" << y(0) << "\" y2=\"" << y(1)
          << "\" stroke=\"#e6e6e6\"/>\n"
          << "<text x=\"" << x(0) - 6 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">"
          << fmt(v, "%.1f") << "</text>"
          << "<text x=\"" << x(v) << "\" y=\"" << y(0) + 18 << "\" text-anchor=\"middle\">"
          << fmt(v, "%.1f") << "</text>\n";
    }
    svg << "<rect x=\"" << x(0) << "\" y=\"" << y(1) << "\" width=\"" << kSize << "\" height=\""
        << kSize << "\" fill=\"none\" stroke=\"black\"/>\n"
        << "<text x=\"" << x(0.5) << "\" y=\"" << y(0) + 40 << "\" text-anchor=\"middle\">"
        << x_label << "</text>\n"
        << "<text transform=\"translate(22," << y(0.5) << ") rotate(-90)\" text-anchor=\"middle\">"
        << y_label << "</text>\n"
        << "<line x1=\"" << x(0) << "\" y1=\"" << y(0) << "\" x2=\"" << x(1) << "\" y2=\"" << y(1)
        << "\" stroke=\"#999\" stroke-dasharray=\"5,4\"/>\n";
  }
  void polyline(const std::vector<std::pair<double, double>>& points, const char* colour,
                double width, double opacity) {
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"" << width
        << "\" stroke-opacity=\"" << opacity << "\" points=\"";
    for (const auto& [px, py] : points) svg << x(px) << "," << y(py) << " ";
    svg << "\"/>\n";
  }
  // Legend entries, top-left of the plot area.
  void legend(const std::vector<std::tuple<std::string, const char*, double>>& entries, double at_x,
              double at_y) {
    const double h = 18.0 * static_cast<double>(entries.size()) + 8;
    svg << "<rect x=\"" << at_x - 6 << "\" y=\"" << at_y - 14 << "\" width=\"200\" height=\"" << h
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
};

std::vector<std::pair<double, double>> points_of(const std::vector<glia::metrics::RocPoint>& c) {
  std::vector<std::pair<double, double>> out;
  for (const auto& p : c) out.push_back({p.false_positive_rate, p.true_positive_rate});
  return out;
}

}  // namespace

std::string roc_svg(const std::vector<glia::metrics::RocPoint>& pooled, double pooled_auc,
                    const std::vector<std::vector<glia::metrics::RocPoint>>& folds) {
  UnitPlot plot("ROC curve, out-of-fold predictions (AUC " + fmt(pooled_auc, "%.3f") + ")",
                "false positive rate (1 - specificity)", "true positive rate (sensitivity)");
  for (const auto& fold : folds) plot.polyline(points_of(fold), "#1f77b4", 1.2, 0.3);
  plot.polyline(points_of(pooled), "#d62728", 2.5, 1.0);
  plot.legend({{"pooled over the folds", "#d62728", 1.0},
               {"each fold", "#1f77b4", 0.4},
               {"chance", "#999999", 1.0}},
              plot.x(0.55), plot.y(0.3));
  return plot.finish();
}

std::string calibration_svg(const std::vector<glia::metrics::ReliabilityBin>& bins, double ece) {
  UnitPlot plot("Reliability diagram, out-of-fold predictions",
                "mean predicted probability of a tumour", "fraction of scans with a tumour");
  std::vector<std::pair<double, double>> points;
  int64_t total = 0;
  for (const auto& b : bins) total += b.count;
  for (const auto& b : bins) {
    if (!b.count) continue;
    points.push_back({b.mean_probability, b.fraction_positive});
    const double radius =
        3 + 12 * std::sqrt(static_cast<double>(b.count) / std::max<int64_t>(total, 1));
    plot.svg << "<circle cx=\"" << plot.x(b.mean_probability) << "\" cy=\""
             << plot.y(b.fraction_positive) << "\" r=\"" << radius
             << "\" fill=\"#1f77b4\" fill-opacity=\"0.6\"/>\n";
  }
  plot.polyline(points, "#1f77b4", 2, 1.0);
  plot.legend({{"10 equal-width bins (dot: count)", "#1f77b4", 1.0},
               {"perfect calibration", "#999999", 1.0}},
              plot.x(0.04), plot.y(0.95));
  plot.svg << "<text x=\"" << plot.x(0.96) << "\" y=\"" << plot.y(0.06)
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
