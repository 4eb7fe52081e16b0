#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace brain_tumor {

std::string history_csv(const glia::train::History& history) {
  std::ostringstream out;
  out << "epoch,loss,accuracy,val_loss,val_accuracy\n";
  char line[256];
  for (const glia::train::EpochLog& r : history) {
    std::snprintf(line, sizeof(line), "%lld,%.6f,%.6f,%.6f,%.6f\n", static_cast<long long>(r.epoch),
                  r.loss, r.accuracy, r.val_loss, r.val_accuracy);
    out << line;
  }
  return out.str();
}

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
  Json j;
  j["accuracy"] = m.accuracy;
  j["f1"] = m.f1;
  j["precision"] = m.precision;
  j["recall"] = m.recall;
  j["roc_auc"] = m.roc_auc;
  j["loss"] = m.log_loss;
  j["confusion"] = Json::array({Json::array({m.tn, m.fp}), Json::array({m.fn, m.tp})});
  j["count"] = m.count;
  return j;
}

}  // namespace brain_tumor
