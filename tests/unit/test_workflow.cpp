// The library's workflow: grouped splits, the cross-validation loop, test-time flips, model
// files of any format, metrics as JSON.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <glia/data/grouped_kfold.hpp>
#include <glia/glia.hpp>
#include <glia/io/load_model_file.hpp>
#include <glia/metrics/json.hpp>
#include <glia/train/cross_validation.hpp>
#include <glia/train/test_time_augmentation.hpp>

#include "temp_dir.hpp"

using namespace glia;
using Catch::Contains;
using glia::testing::TempDir;

TEST_CASE("grouped_kfold: each group tested once, folds stratified, validation outside the test") {
  std::vector<int> labels;
  for (int g = 0; g < 53; ++g) labels.push_back(g % 3 == 0 ? 1 : 0);  // 18 of class 1
  const auto splits = data::grouped_kfold(labels, 5, 7);
  REQUIRE(splits.size() == 5);
  std::vector<int> tested(labels.size(), 0);
  for (const std::vector<data::Part>& part : splits) {
    int test[2] = {0, 0}, val[2] = {0, 0}, train[2] = {0, 0};
    for (size_t g = 0; g < part.size(); ++g) {
      const int c = labels[g];
      if (part[g] == data::Part::test) ++test[c], ++tested[g];
      if (part[g] == data::Part::val) ++val[c];
      if (part[g] == data::Part::train) ++train[c];
    }
    for (int c : {0, 1}) {  // a fold holds a fifth of each class, rounded
      const int n = c ? 18 : 35;
      CHECK(test[c] >= n / 5);
      CHECK(test[c] <= n / 5 + 1);
      CHECK(val[c] == static_cast<int>(std::lround(0.15 * (n - test[c]))));
      CHECK(train[c] + val[c] + test[c] == n);
    }
  }
  for (int t : tested) CHECK(t == 1);
  CHECK(data::grouped_kfold(labels, 5, 7) == splits);  // the seed decides
  CHECK(data::grouped_kfold(labels, 5, 8) != splits);
  CHECK_THROWS_WITH(data::grouped_kfold(labels, 1, 7), Contains("at least 2 folds"));
  CHECK_THROWS_WITH(data::grouped_kfold({0, -1}, 2, 7), Contains("negative label"));
}

TEST_CASE("grouped_split: 70/15/15 of each class's groups") {
  const std::vector<int> labels(20, 0);
  const std::vector<data::Part> part = data::grouped_split(labels, 3);
  std::map<data::Part, int> count;
  for (data::Part p : part) ++count[p];
  CHECK(count[data::Part::train] == 14);
  CHECK(count[data::Part::val] == 3);
  CHECK(count[data::Part::test] == 3);
}

namespace {

// A fold "model": the logit of an example is its index times the fold's number, so every
// figure can be computed by hand; training counts its calls.
struct FakeFolds {
  std::vector<train::CvExample> examples;
  std::vector<int> fold_of;
  int calls = 0;
  train::FoldOutcome fit(const train::FoldContext& f) {
    ++calls;
    train::FoldOutcome out;
    for (size_t i : f.test) out.logits.push_back(static_cast<float>(i) * 0.1f - 1.0f);
    std::ofstream(f.dir + "/notes.txt") << "fold " << f.fold;
    out.report = concat("{\"fold\": ", f.fold + 1, "}");
    return out;
  }
};

FakeFolds fake(size_t n, int folds) {
  FakeFolds fake;
  for (size_t i = 0; i < n; ++i) {
    fake.examples.push_back({"ex" + std::to_string(i), static_cast<int>(i % 2)});
    fake.fold_of.push_back(static_cast<int>(i % static_cast<size_t>(folds)));
  }
  return fake;
}

}  // namespace

TEST_CASE("cross_validate: folds, files, pooled figures, and resume reads back") {
  TempDir dir("glia_cv");
  FakeFolds f = fake(20, 4);
  train::CrossValidationOptions options;
  options.out = dir.path.string();
  options.bootstrap_resamples = 200;
  auto run = [&] {
    return train::cross_validate(
        f.examples, f.fold_of, 4, [&](const train::FoldContext& c) { return f.fit(c); }, options);
  };
  const train::CrossValidationResult cv = run();
  CHECK(f.calls == 4);
  REQUIRE(cv.pooled);
  REQUIRE(cv.logits.size() == 20);
  // Fold by fold, each fold's examples in order.
  std::vector<float> logits;
  std::vector<int> labels;
  for (int fold = 0; fold < 4; ++fold) {
    for (size_t i = static_cast<size_t>(fold); i < 20; i += 4) {
      logits.push_back(static_cast<float>(i) * 0.1f - 1.0f);
      labels.push_back(static_cast<int>(i % 2));
    }
  }
  CHECK(cv.logits == logits);
  CHECK(cv.labels == labels);
  CHECK(cv.binary.accuracy == metrics::binary_metrics(logits, labels).accuracy);
  CHECK(cv.binary.roc_auc == metrics::roc_auc(logits, labels));
  CHECK(cv.accuracy_ci.low <= cv.binary.accuracy);
  CHECK(cv.accuracy_ci.high >= cv.binary.accuracy);
  CHECK_THAT(cv.pooled_json, Contains("\"roc_auc_ci95\""));
  for (const char* file : {"fold-1/predictions.tsv", "fold-1/report.json", "fold-1/notes.txt",
                           "fold-4/report.json", "oof_predictions.tsv"})
    CHECK(std::filesystem::exists(dir.path / file));
  CHECK_THAT(io::read_file(dir.file("fold-2/predictions.tsv")),
             Contains("\"ex1\"\t1\t-0.899999976"));

  // Resumed: the finished folds are read back, not trained again, and give the same figures.
  std::filesystem::remove(dir.path / "fold-3" / "report.json");  // fold 3 was interrupted
  options.resume = true;
  f.calls = 0;
  const train::CrossValidationResult again = run();
  CHECK(f.calls == 1);
  CHECK(again.logits == cv.logits);
  CHECK(again.pooled_json == cv.pooled_json);
}

TEST_CASE("cross_validate: multi-class logits, and errors that name the problem") {
  TempDir dir("glia_cv_multiclass");
  std::vector<train::CvExample> examples;
  std::vector<int> fold_of;
  for (int i = 0; i < 9; ++i) {
    examples.push_back({"ex" + std::to_string(i), i % 3});
    fold_of.push_back(i % 3);
  }
  train::CrossValidationOptions options;
  options.out = dir.path.string();
  options.classes = 3;
  options.bootstrap_resamples = 100;
  const train::CrossValidationResult cv = train::cross_validate(
      examples, fold_of, 3,
      [&](const train::FoldContext& c) {
        train::FoldOutcome out;  // right for every example but example 4
        for (size_t i : c.test)
          for (int k = 0; k < 3; ++k)
            out.logits.push_back(k == (i == 4 ? 0 : examples[i].label) ? 2.0f : 0.0f);
        return out;
      },
      options);
  CHECK(cv.multiclass.accuracy == Approx(8.0 / 9.0));
  CHECK(cv.multiclass.classes == 3);

  options.classes = 1;
  CHECK_THROWS_WITH(train::cross_validate(
                        examples, fold_of, 3,
                        [](const train::FoldContext&) { return train::FoldOutcome{}; }, options),
                    Contains("gave 0 logits for 3 examples"));
  CHECK_THROWS_WITH(train::cross_validate(examples, {0, 1}, 3, nullptr, options),
                    Contains("2 fold numbers for 9 examples"));
  CHECK_THROWS_WITH(train::cross_validate(examples, std::vector<int>(9, 5), 3, nullptr, options),
                    Contains("in fold 5 of 3"));
}

TEST_CASE("test-time flips: the views are the input mirrored and upside down, logits averaged") {
  Tensor x = Tensor::empty({2, 3, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = static_cast<float>(i);
  const Tensor m = train::flipped(x, true, false), u = train::flipped(x, false, true);
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t y = 0; y < 3; ++y)
      for (int64_t w = 0; w < 4; ++w) {
        CHECK(m.data()[(c * 3 + y) * 4 + w] == x.data()[(c * 3 + y) * 4 + (3 - w)]);
        CHECK(u.data()[(c * 3 + y) * 4 + w] == x.data()[(c * 3 + (2 - y)) * 4 + w]);
      }
  // A model that reads one corner: its four views see the four corners.
  struct Corner : nn::Module {
    Tensor forward(const Tensor& in) override {
      Tensor out = Tensor::empty({in.size(0), 1});
      for (int64_t n = 0; n < in.size(0); ++n)
        out.data()[n] = in.data()[n * in.numel() / in.size(0)];
      return out;
    }
  } corner;
  Tensor images = Tensor::zeros({1, 1, 2, 2});
  images.data()[0] = 1, images.data()[1] = 2, images.data()[2] = 4, images.data()[3] = 8;
  data::TensorDataset set(images, Tensor::zeros({1}));
  CHECK(train::predict_with_flips(corner, set, {false, false}).logits.data()[0] == 1.0f);
  CHECK(train::predict_with_flips(corner, set, {true, false}).logits.data()[0] == 1.5f);
  CHECK(train::predict_with_flips(corner, set, {true, true}).logits.data()[0] == 3.75f);
}

TEST_CASE("model files: the format from the content, and a clear error for anything else") {
  TempDir dir("glia_model_file");
  nn::Sequential net({4});
  net.add(nn::Dense(4, 2));
  io::save(net, dir.file("net.glia"));
  CHECK(io::model_format(dir.file("net.glia")) == io::ModelFormat::glia);
  const auto loaded = io::load_model_file(dir.file("net.glia"));
  CHECK(loaded->parameter_count() == net.parameter_count());
  std::ofstream(dir.file("fake.h5"), std::ios::binary) << "\x89HDF\r\n\x1a\n and more";
  CHECK(io::model_format(dir.file("fake.h5")) == io::ModelFormat::keras_h5);
  std::ofstream(dir.file("model.ONNX")) << "x";
  CHECK(io::model_format(dir.file("model.ONNX")) == io::ModelFormat::onnx);
  std::ofstream(dir.file("notes.txt")) << "hello";
  CHECK_THROWS_WITH(io::load_model_file(dir.file("notes.txt")),
                    Contains("neither a glia checkpoint, a Keras HDF5 file nor a .onnx file"));
  CHECK_THROWS_WITH(io::load_model_file(dir.file("missing.glia")), Contains("file not found"));
}

TEST_CASE("metrics JSON: one form, read back exactly") {
  const std::vector<float> logits{-2.0f, 0.5f, 1.5f, -0.1f, 3.0f};
  const std::vector<int> labels{0, 1, 1, 1, 0};
  const metrics::BinaryMetrics m = metrics::binary_metrics(logits, labels);
  const std::string text = metrics::to_json(m);
  CHECK_THAT(text, Contains("\"log_loss\"") && Contains("\"confusion\":[[1,1],[1,2]]"));
  const metrics::BinaryMetrics back = metrics::binary_metrics_from_json(text);
  CHECK(back.accuracy == m.accuracy);
  CHECK(back.log_loss == m.log_loss);
  CHECK(back.tp == m.tp);
  CHECK(back.fp == m.fp);
  CHECK_THAT(metrics::binary_report_json(logits, labels),
             Contains("\"brier\"") && Contains("\"ece\""));
  CHECK_THROWS_WITH(metrics::binary_metrics_from_json("{\"accuracy\": 1}"),
                    Contains("binary metrics"));
}
