// Metrics to and from JSON text (metrics/json.hpp).
#include "glia/metrics/json.hpp"

#include <nlohmann/json.hpp>

#include "glia/metrics/calibration.hpp"
#include "glia/ops/activation.hpp"

namespace glia::metrics {
namespace {

using Json = nlohmann::ordered_json;

Json parse(const std::string& text, const char* what) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("glia::metrics: ") + what + ": " + e.what());
  }
}

template <class T, class Read>
T read(const std::string& text, const char* what, Read read_fields) {
  const Json j = parse(text, what);
  try {
    return read_fields(j);
  } catch (const Json::exception& e) {
    throw std::invalid_argument(std::string("glia::metrics: ") + what + ": " + e.what());
  }
}

}  // namespace

std::string to_json(const BinaryMetrics& m) {
  return Json{{"accuracy", m.accuracy},
              {"f1", m.f1},
              {"precision", m.precision},
              {"recall", m.recall},
              {"roc_auc", m.roc_auc},
              {"log_loss", m.log_loss},
              {"confusion", Json::array({Json::array({m.tn, m.fp}), Json::array({m.fn, m.tp})})},
              {"count", m.count}}
      .dump();
}

std::string to_json(const MulticlassMetrics& m) {
  return Json{{"accuracy", m.accuracy},
              {"log_loss", m.log_loss},
              {"confusion", m.confusion},
              {"count", m.count},
              {"classes", m.classes}}
      .dump();
}

std::string binary_report_json(const std::vector<float>& logits, const std::vector<int>& labels,
                               int calibration_bins) {
  Json j = Json::parse(to_json(binary_metrics(logits, labels)));
  std::vector<double> probabilities;
  for (float z : logits) probabilities.push_back(sigmoid(static_cast<double>(z)));
  j["brier"] = brier_score(probabilities, labels);
  j["ece"] = expected_calibration_error(probabilities, labels, calibration_bins);
  return j.dump();
}

BinaryMetrics binary_metrics_from_json(const std::string& text) {
  return read<BinaryMetrics>(text, "binary metrics", [](const Json& j) {
    BinaryMetrics m;
    m.accuracy = j.at("accuracy");
    m.f1 = j.at("f1");
    m.precision = j.at("precision");
    m.recall = j.at("recall");
    m.roc_auc = j.at("roc_auc");
    m.log_loss = j.at("log_loss");
    m.count = j.at("count");
    if (j.contains("confusion")) {
      const Json& c = j.at("confusion");
      m.tn = c.at(0).at(0);
      m.fp = c.at(0).at(1);
      m.fn = c.at(1).at(0);
      m.tp = c.at(1).at(1);
    } else {  // state files of glia 0.2
      m.tn = j.at("tn");
      m.fp = j.at("fp");
      m.fn = j.at("fn");
      m.tp = j.at("tp");
    }
    return m;
  });
}

MulticlassMetrics multiclass_metrics_from_json(const std::string& text) {
  return read<MulticlassMetrics>(text, "multi-class metrics", [](const Json& j) {
    MulticlassMetrics m;
    m.accuracy = j.at("accuracy");
    m.log_loss = j.at("log_loss");
    m.confusion = j.at("confusion").get<std::vector<std::vector<int64_t>>>();
    m.count = j.at("count");
    m.classes = j.at("classes");
    return m;
  });
}

}  // namespace glia::metrics
