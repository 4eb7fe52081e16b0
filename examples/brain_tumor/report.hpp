// Run outputs: history.csv, SVG learning curves, and a small JSON writer for report.json.
#pragma once

#include <string>
#include <vector>

#include "metrics.hpp"

namespace brain_tumor {

struct EpochRecord {
  int epoch = 0;
  double loss = 0, accuracy = 0, val_loss = 0, val_accuracy = 0, seconds = 0;
};

std::string history_csv(const std::vector<EpochRecord>& history);

// A line chart of two series against epoch, with axes, ticks, labels and a legend.
std::string learning_curve_svg(const std::string& title, const std::string& y_label,
                               const std::vector<double>& train, const std::vector<double>& val);

// Builds JSON text; keys and strings are escaped. Numbers print with up to 6 significant digits.
class Json {
 public:
  Json& begin_object();
  Json& end_object();
  Json& begin_array();
  Json& end_array();
  Json& key(const std::string& k);
  Json& value(const std::string& s);
  Json& value(const char* s) { return value(std::string(s)); }
  Json& value(double d);
  Json& value(int64_t i);
  Json& value(int i) { return value(static_cast<int64_t>(i)); }
  Json& value(bool b);
  Json& metrics(const Metrics& m);  // {"accuracy", ..., "confusion": [[tn, fp], [fn, tp]], "count"}
  std::string str() const { return out_ + "\n"; }

 private:
  void comma();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

std::string json_escape(const std::string& s);

}  // namespace brain_tumor
