// cross_validate: the folds in turn (this rank's share), their files, resume, gathering on rank
// 0, and the pooled out-of-fold figures.
#include "glia/train/cross_validation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "glia/io/atomic_file.hpp"
#include "glia/io/temporary_folder.hpp"
#include "glia/metrics/json.hpp"
#include "glia/ops/activation.hpp"
#include "glia/support/check.hpp"

namespace glia::train {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string fold_name(int fold) {
  return "fold-" + std::to_string(fold + 1);
}

// predictions.tsv: the examples a fold tested, with their logits.
std::string predictions_tsv(const std::vector<CvExample>& examples, const std::vector<size_t>& test,
                            const std::vector<float>& logits, int classes) {
  std::ostringstream tsv;
  tsv << "file\tlabel";
  if (classes == 1) {
    tsv << "\tlogit";
  } else {
    for (int k = 0; k < classes; ++k) tsv << "\tlogit_" << k;
  }
  tsv << "\n" << std::setprecision(9);
  for (size_t r = 0; r < test.size(); ++r) {
    tsv << std::quoted(examples[test[r]].id) << "\t" << examples[test[r]].label;
    for (int k = 0; k < classes; ++k)
      tsv << "\t" << logits[r * static_cast<size_t>(classes) + static_cast<size_t>(k)];
    tsv << "\n";
  }
  return tsv.str();
}

std::vector<float> read_predictions(const std::string& path, size_t rows, int classes) {
  std::istringstream tsv(io::read_file(path));
  std::string line, file;
  std::getline(tsv, line);  // header
  std::vector<float> logits;
  int label = 0;
  while (tsv >> std::quoted(file) >> label) {
    for (int k = 0; k < classes; ++k) {
      double z = 0;
      if (!(tsv >> z)) throw std::runtime_error("cannot resume: " + path + " is malformed");
      logits.push_back(static_cast<float>(z));
    }
  }
  if (logits.size() != rows * static_cast<size_t>(classes))
    throw std::runtime_error("cannot resume: " + path + " is incomplete");
  return logits;
}

// The files of this rank's folds, for rank 0: [{fold, logits, report, files: {name: bytes}}].
// Bytes travel as JSON strings of raw bytes (binary_t keeps them exact).
std::string pack_folds(const std::string& root, const std::vector<int>& folds,
                       const std::vector<std::vector<float>>& logits,
                       const std::vector<std::string>& reports) {
  Json all = Json::array();
  for (int f : folds) {
    Json files = Json::object();
    for (const fs::directory_entry& e : fs::directory_iterator(fs::path(root) / fold_name(f))) {
      if (!e.is_regular_file()) continue;
      const std::string bytes = io::read_file(e.path().string());
      files[e.path().filename().string()] =
          Json::binary(std::vector<uint8_t>(bytes.begin(), bytes.end()));
    }
    all.push_back({{"fold", f},
                   {"logits", logits[static_cast<size_t>(f)]},
                   {"report", reports[static_cast<size_t>(f)]},
                   {"files", files}});
  }
  std::vector<uint8_t> bytes = Json::to_cbor(all);
  return std::string(bytes.begin(), bytes.end());
}

// Pooled figures of binary logits.
void pool_binary(CrossValidationResult& r, const std::vector<int>& labels,
                 const CrossValidationOptions& o) {
  r.binary = metrics::binary_metrics(r.logits, labels);
  std::vector<double> probabilities;
  for (float z : r.logits) probabilities.push_back(sigmoid(static_cast<double>(z)));
  r.brier = metrics::brier_score(probabilities, labels);
  r.ece = metrics::expected_calibration_error(probabilities, labels, o.calibration_bins);
  r.reliability = metrics::reliability(probabilities, labels, o.calibration_bins);
  auto resampled = [&](const std::vector<size_t>& sample, bool auc) {
    std::vector<float> z;
    std::vector<int> y;
    for (size_t i : sample) {
      z.push_back(r.logits[i]);
      y.push_back(labels[i]);
    }
    return auc ? metrics::roc_auc(z, y) : metrics::binary_metrics(z, y).accuracy;
  };
  const size_t n = labels.size();
  r.accuracy_ci = metrics::bootstrap_interval(
      n, [&](const std::vector<size_t>& s) { return resampled(s, false); }, o.bootstrap_resamples,
      o.bootstrap_seed);
  r.roc_auc_ci = metrics::bootstrap_interval(
      n, [&](const std::vector<size_t>& s) { return resampled(s, true); }, o.bootstrap_resamples,
      o.bootstrap_seed);
  Json pooled = Json::parse(metrics::binary_report_json(r.logits, labels, o.calibration_bins));
  pooled["accuracy_ci95"] = {r.accuracy_ci.low, r.accuracy_ci.high};
  pooled["roc_auc_ci95"] = {r.roc_auc_ci.low, r.roc_auc_ci.high};
  pooled["bootstrap"] =
      concat(o.bootstrap_resamples, " resamples of the examples, seed ", o.bootstrap_seed);
  Json bins = Json::array();
  for (const metrics::ReliabilityBin& b : r.reliability) {
    bins.push_back({{"lower", b.lower},
                    {"upper", b.upper},
                    {"count", b.count},
                    {"mean_probability", b.mean_probability},
                    {"fraction_positive", b.fraction_positive}});
  }
  pooled["reliability_bins"] = bins;
  r.pooled_json = pooled.dump();
}

// Pooled figures of multi-class logits.
void pool_multiclass(CrossValidationResult& r, const std::vector<int>& labels,
                     const CrossValidationOptions& o) {
  const int64_t n = static_cast<int64_t>(labels.size()), k = o.classes;
  r.multiclass = metrics::multiclass_metrics(Tensor::from(r.logits, {n, k}), labels);
  const std::vector<int> predicted = metrics::argmax_rows(Tensor::from(r.logits, {n, k}));
  r.accuracy_ci = metrics::bootstrap_interval(
      labels.size(),
      [&](const std::vector<size_t>& sample) {
        size_t right = 0;
        for (size_t i : sample) right += predicted[i] == labels[i];
        return static_cast<double>(right) / static_cast<double>(sample.size());
      },
      o.bootstrap_resamples, o.bootstrap_seed);
  Json pooled = Json::parse(metrics::to_json(r.multiclass));
  pooled["accuracy_ci95"] = {r.accuracy_ci.low, r.accuracy_ci.high};
  pooled["bootstrap"] =
      concat(o.bootstrap_resamples, " resamples of the examples, seed ", o.bootstrap_seed);
  r.pooled_json = pooled.dump();
}

}  // namespace

CrossValidationResult cross_validate(
    const std::vector<CvExample>& examples, const std::vector<int>& test_fold, int folds,
    const std::function<FoldOutcome(const FoldContext&)>& train_fold,
    const CrossValidationOptions& o) {
  const char* op = "train::cross_validate";
  check_arg(folds >= 2, op, "needs at least 2 folds, got ", folds);
  check_arg(test_fold.size() == examples.size(), op, test_fold.size(), " fold numbers for ",
            examples.size(), " examples");
  check_arg(o.classes >= 1, op, "classes must be positive");
  check_arg(o.workers.size >= 1 && o.workers.rank >= 0 && o.workers.rank < o.workers.size, op,
            "bad workers: rank ", o.workers.rank, " of ", o.workers.size);
  std::vector<std::vector<size_t>> test(static_cast<size_t>(folds));
  for (size_t i = 0; i < examples.size(); ++i) {
    check_arg(test_fold[i] >= 0 && test_fold[i] < folds, op, "example ", i, " is in fold ",
              test_fold[i], " of ", folds);
    test[static_cast<size_t>(test_fold[i])].push_back(i);
  }
  const int me = o.workers.rank, world = o.workers.size;
  const bool root = me == 0;
  // Only rank 0 writes into the run's folder; the others keep their folds in a scratch one.
  std::unique_ptr<io::TemporaryFolder> scratch;
  if (!root) scratch = std::make_unique<io::TemporaryFolder>("glia-cv-rank-");
  const std::string base = root ? o.out : scratch->path();
  const size_t classes = static_cast<size_t>(o.classes);

  std::vector<std::vector<float>> logits(static_cast<size_t>(folds));
  std::vector<std::string> reports(static_cast<size_t>(folds), "{}");
  std::vector<int> mine;
  for (int f = me; f < folds; f += world) mine.push_back(f);
  for (size_t m = 0; m < mine.size(); ++m) {
    const int f = mine[m];
    const size_t fi = static_cast<size_t>(f);
    const fs::path dir = fs::path(base) / fold_name(f);
    if (o.resume && fs::exists(dir / "report.json")) {  // finished before the interruption
      reports[fi] = Json::parse(io::read_file((dir / "report.json").string())).dump();
      logits[fi] = read_predictions((dir / "predictions.tsv").string(), test[fi].size(), o.classes);
      if (o.on_fold_resumed) o.on_fold_resumed(f);
      continue;
    }
    fs::create_directories(dir);
    const auto start = std::chrono::steady_clock::now();
    FoldOutcome outcome = train_fold(FoldContext{f, dir.string(), o.resume, test[fi]});
    if (outcome.logits.size() != test[fi].size() * classes)
      throw std::runtime_error(concat("glia::train::cross_validate: fold ", f + 1, " gave ",
                                      outcome.logits.size(), " logits for ", test[fi].size(),
                                      " examples"));
    const Json report = Json::parse(outcome.report);
    io::write_file_atomically((dir / "predictions.tsv").string(),
                              predictions_tsv(examples, test[fi], outcome.logits, o.classes));
    io::write_file_atomically((dir / "report.json").string(), report.dump(2) + "\n");
    logits[fi] = outcome.logits;
    reports[fi] = report.dump();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (o.on_fold_done) o.on_fold_done(f, outcome, seconds, static_cast<int>(mine.size() - m - 1));
  }

  if (world > 1) {  // every rank's folds, files and all, to rank 0
    const std::vector<std::string> packs =
        o.workers.gather_on_root(pack_folds(base, mine, logits, reports));
    if (!root) return {};
    for (size_t r = 1; r < packs.size(); ++r) {
      const Json all = Json::from_cbor(std::vector<uint8_t>(packs[r].begin(), packs[r].end()));
      for (const Json& fold : all) {
        const int f = fold.at("fold").get<int>();
        const fs::path dir = fs::path(o.out) / fold_name(f);
        fs::create_directories(dir);
        for (const auto& [name, bytes] : fold.at("files").items()) {
          const std::vector<uint8_t>& b = bytes.get_binary();
          io::write_file_atomically((dir / name).string(), std::string(b.begin(), b.end()));
        }
        logits[static_cast<size_t>(f)] = fold.at("logits").get<std::vector<float>>();
        reports[static_cast<size_t>(f)] = fold.at("report").get<std::string>();
        if (o.on_fold_gathered)
          o.on_fold_gathered(f, static_cast<int>(r), reports[static_cast<size_t>(f)]);
      }
    }
  }

  // Pooled out-of-fold predictions, fold by fold: every example once.
  CrossValidationResult result;
  result.pooled = true;
  result.fold_reports = reports;
  std::vector<int>& labels = result.labels;
  std::ostringstream oof;
  oof << "file\tlabel\t" << (classes == 1 ? "prob" : "predicted") << "\tfold\n";
  for (int f = 0; f < folds; ++f) {
    const size_t fi = static_cast<size_t>(f);
    for (size_t r = 0; r < test[fi].size(); ++r) {
      const CvExample& e = examples[test[fi][r]];
      labels.push_back(e.label);
      result.example.push_back(test[fi][r]);
      result.fold_of.push_back(f);
      const float* z = logits[fi].data() + r * classes;
      result.logits.insert(result.logits.end(), z, z + classes);
      char value[32];
      if (classes == 1) {
        std::snprintf(value, sizeof(value), "%.6f", sigmoid(static_cast<double>(z[0])));
      } else {
        std::snprintf(value, sizeof(value), "%d",
                      static_cast<int>(std::max_element(z, z + classes) - z));
      }
      oof << e.id << "\t" << e.label << "\t" << value << "\t" << f + 1 << "\n";
    }
  }
  io::write_file_atomically((fs::path(o.out) / "oof_predictions.tsv").string(), oof.str());
  if (classes == 1) {
    pool_binary(result, labels, o);
  } else {
    pool_multiclass(result, labels, o);
  }
  return result;
}

}  // namespace glia::train
