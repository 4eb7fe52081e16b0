// glia::train::Trainer: fit on small problems, validation, callbacks, checkpoints.
#include <catch2/catch.hpp>

#include <filesystem>

#include <unistd.h>

#include <glia/glia.hpp>

using namespace glia;

namespace {

// Two Gaussian blobs per class in 2-D; `classes` of them around a circle.
data::TensorDataset blobs(int64_t per_class, int64_t classes, uint64_t seed) {
  Rng rng(seed);
  const int64_t n = per_class * classes;
  Tensor x = Tensor::empty({n, 2}), y = Tensor::empty({n});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i % classes;
    const double angle = 6.2831853 * static_cast<double>(c) / static_cast<double>(classes);
    x.data()[2 * i] = static_cast<float>(3 * std::cos(angle)) + rng.normal(0, 0.5f);
    x.data()[2 * i + 1] = static_cast<float>(3 * std::sin(angle)) + rng.normal(0, 0.5f);
    y.data()[i] = static_cast<float>(c);
  }
  return data::TensorDataset(x, y);
}

data::DataLoader loader_of(data::Dataset& set, bool shuffle) {
  data::DataLoaderOptions o;
  o.batch_size = 16;
  o.shuffle = shuffle;
  o.seed = 3;
  return data::DataLoader(set, o);
}

}  // namespace

TEST_CASE("trainer: fits a 4-class problem with cross-entropy, AdamW and a cosine schedule") {
  manual_seed(1);
  data::TensorDataset train_set = blobs(60, 4, 1), val_set = blobs(20, 4, 2);
  data::DataLoader train = loader_of(train_set, true), val = loader_of(val_set, false);
  nn::Sequential net;
  net.add(nn::Dense(2, 16)).add(nn::ReLU()).add(nn::Dense(16, 4));
  optim::AdamW opt(net.parameters(), optim::AdamWOptions{0.05f});
  optim::CosineAnnealingLR schedule(opt, 10);
  train::Trainer trainer(net, opt, train::Task::multiclass);
  trainer.set_scheduler(&schedule);
  trainer.set_label_smoothing(0.05f);
  int64_t batches = 0;
  trainer.add_callback(
      std::make_shared<train::LambdaCallback>(nullptr, [&](const train::Progress&) { ++batches; }));
  const train::History history = trainer.fit(train, &val, 10);
  REQUIRE(history.size() == 10);
  CHECK(batches == 10 * 15);
  CHECK(history.back().val_accuracy > 0.95);
  CHECK(history.back().loss < history.front().loss);
  CHECK(history.front().lr == Approx(0.05));
  CHECK(history.back().lr < 0.01);  // the cosine schedule stepped each epoch
  CHECK(history.back().val_multiclass.confusion.size() == 4);
  CHECK(net.is_training());  // validation restored the mode
}

TEST_CASE("trainer: binary task, ModelCheckpoint keeps the best epoch, stop() ends early") {
  manual_seed(2);
  data::TensorDataset train_set = blobs(50, 2, 3), val_set = blobs(30, 2, 4);
  data::DataLoader train = loader_of(train_set, true), val = loader_of(val_set, false);
  nn::Sequential net;
  net.add(nn::Dense(2, 8)).add(nn::Tanh()).add(nn::Dense(8, 1));
  optim::Adam opt(net.parameters(), optim::AdamOptions{0.02f});
  train::Trainer trainer(net, opt, train::Task::binary);
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("glia_trainer_" + std::to_string(::getpid()) + ".glia"))
                               .string();
  auto checkpoint = std::make_shared<train::ModelCheckpoint>(path, "val_loss");
  trainer.add_callback(checkpoint);
  trainer.add_callback(std::make_shared<train::LambdaCallback>([&](const train::EpochLog& log) {
    if (log.epoch == 6) trainer.stop();
  }));
  // Binary targets arrive as {B, 1}; the dataset's {N} labels become {B, 1} rows.
  const train::History history = trainer.fit(train, &val, 50);
  CHECK(history.size() == 6);
  double best = 1e9;
  int64_t best_epoch = 0;
  for (const train::EpochLog& log : history) {
    if (log.val_loss < best) best = log.val_loss, best_epoch = log.epoch;
  }
  CHECK(checkpoint->best_epoch() == best_epoch);
  CHECK(std::filesystem::exists(path));
  nn::Sequential reloaded;
  reloaded.add(nn::Dense(2, 8)).add(nn::Tanh()).add(nn::Dense(8, 1));
  io::load(reloaded, path);
  std::filesystem::remove(path);
  const train::Predictions p = train::predict(reloaded, val);
  const std::vector<float> logits(p.logits.data(), p.logits.data() + p.logits.numel());
  CHECK(metrics::binary_metrics(logits, p.labels).log_loss == Approx(best).epsilon(1e-5));
  CHECK(history.back().val_binary.accuracy > 0.9);
}

TEST_CASE("trainer: bad arguments are named") {
  nn::Sequential net;
  net.add(nn::Dense(2, 1));
  optim::SGD opt(net.parameters());
  train::Trainer trainer(net, opt);
  data::TensorDataset set = blobs(4, 2, 1);
  data::DataLoader loader = loader_of(set, false);
  CHECK_THROWS_WITH(trainer.fit(loader, nullptr, 0), Catch::Contains("epochs"));
  CHECK_THROWS_WITH(trainer.set_label_smoothing(1.0f), Catch::Contains("label smoothing"));
  trainer.add_callback(std::make_shared<train::ModelCheckpoint>("unused.glia"));
  CHECK_THROWS_WITH(trainer.fit(loader, nullptr, 1), Catch::Contains("no validation loader"));
}
