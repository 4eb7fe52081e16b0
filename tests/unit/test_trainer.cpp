// glia::train::Trainer: fit on small problems, validation, callbacks, checkpoints.
#include <catch2/catch.hpp>

#include <cstring>
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

TEST_CASE("trainer: class weights multiply each example's loss by its class's weight") {
  // One batch of the whole set, and an optimiser step after the loss: the epoch's loss is the
  // weighted loss of the initial model.
  for (const train::Task task : {train::Task::binary, train::Task::multiclass}) {
    manual_seed(5);
    const int64_t classes = task == train::Task::binary ? 2 : 3;
    Rng rng(2);
    const int64_t n = 6 * classes;
    Tensor inputs = Tensor::randn({n, 2}, rng);
    Tensor targets = Tensor::empty(task == train::Task::binary ? Shape{n, 1} : Shape{n});
    for (int64_t i = 0; i < n; ++i) targets.data()[i] = static_cast<float>(i % classes);
    data::TensorDataset examples(inputs, targets);
    nn::Sequential net;
    net.add(nn::Dense(2, task == train::Task::binary ? 1 : classes));
    optim::SGD opt(net.parameters());
    train::Trainer trainer(net, opt, task);
    const std::vector<float> weights{0.5f, 2.0f, 1.5f};
    trainer.set_class_weights(
        std::vector<float>(weights.begin(), weights.begin() + static_cast<long>(classes)));
    Tensor w = Tensor::empty({targets.numel()});
    for (int64_t i = 0; i < w.numel(); ++i)
      w.data()[i] = weights[static_cast<size_t>(targets.data()[i])];
    Tensor expected;
    {
      NoGradGuard no_grad;
      const Tensor z = net.forward(inputs);
      expected = task == train::Task::binary
                     ? binary_cross_entropy_with_logits(z, targets, reshape(w, targets.shape()))
                     : cross_entropy(z, targets, 0.0f, w);
    }
    data::DataLoaderOptions o;
    o.batch_size = targets.numel();
    data::DataLoader loader(examples, o);
    const train::History history = trainer.fit(loader, nullptr, 1);
    CHECK(history[0].loss == Approx(expected.item()).epsilon(1e-6));
  }
  nn::Sequential net;
  net.add(nn::Dense(2, 1));
  optim::SGD opt(net.parameters());
  train::Trainer trainer(net, opt);
  CHECK_THROWS_WITH(trainer.set_class_weights({1, 2, 3}), Catch::Contains("2 class weights"));
  CHECK_THROWS_WITH(trainer.set_class_weights({1, -2}), Catch::Contains("non-negative"));
}

TEST_CASE("trainer: a run resumed from its state file ends bit-identical to an unbroken one") {
  const std::string state = (std::filesystem::temp_directory_path() /
                             ("glia_resume_" + std::to_string(::getpid()) + ".glia"))
                                .string();
  data::TensorDataset train_set = blobs(40, 3, 5), val_set = blobs(10, 3, 6);
  struct Run {
    nn::Sequential net;
    std::unique_ptr<optim::AdamW> opt;
    std::unique_ptr<optim::CosineAnnealingLR> schedule;
    std::unique_ptr<train::Trainer> trainer;
    std::shared_ptr<train::ModelCheckpoint> best;
  };
  auto make = [&](const std::string& best_path) {
    manual_seed(7);  // weights and the dropout stream
    Run r;
    r.net.add(nn::Dense(2, 16)).add(nn::ReLU()).add(nn::Dropout(0.3f)).add(nn::Dense(16, 3));
    r.opt = std::make_unique<optim::AdamW>(r.net.parameters(), optim::AdamWOptions{0.02f});
    r.schedule = std::make_unique<optim::CosineAnnealingLR>(*r.opt, 6);
    r.trainer = std::make_unique<train::Trainer>(r.net, *r.opt, train::Task::multiclass);
    r.trainer->set_scheduler(r.schedule.get());
    r.best = std::make_shared<train::ModelCheckpoint>(best_path);
    r.trainer->add_callback(r.best);
    return r;
  };
  data::DataLoader train_a = loader_of(train_set, true), val_a = loader_of(val_set, false);
  Run straight = make(state + ".best_a");
  straight.trainer->fit(train_a, &val_a, 6);

  data::DataLoader train_b = loader_of(train_set, true), val_b = loader_of(val_set, false);
  Run first = make(state + ".best_b");
  first.trainer->set_state_file(state);
  first.trainer->fit(train_b, &val_b, 3);  // "killed" after epoch 3
  manual_seed(99);                         // the crash's process state is gone
  Run second = make(state + ".best_b");
  second.trainer->set_state_file(state);
  const int64_t done = second.trainer->resume(state);
  REQUIRE(done == 3);
  const train::History history = second.trainer->fit(train_b, &val_b, 6, done);

  REQUIRE(history.size() == 6);
  for (size_t e = 0; e < 6; ++e) {
    CHECK(history[e].loss == straight.trainer->history()[e].loss);
    CHECK(history[e].val_loss == straight.trainer->history()[e].val_loss);
    CHECK(history[e].lr == straight.trainer->history()[e].lr);
  }
  const std::vector<Tensor> a = straight.net.parameters(), b = second.net.parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(std::memcmp(a[i].data(), b[i].data(),
                      sizeof(float) * static_cast<size_t>(a[i].numel())) == 0);
  }
  CHECK(second.best->best_epoch() == straight.best->best_epoch());
  CHECK(io::read_file(state + ".best_a") == io::read_file(state + ".best_b"));
  // A state file of another model is refused, naming the problem.
  nn::Sequential other;
  other.add(nn::Dense(2, 3));
  optim::SGD sgd(other.parameters());
  train::Trainer wrong(other, sgd, train::Task::multiclass);
  wrong.add_callback(std::make_shared<train::ModelCheckpoint>("unused.glia"));
  CHECK_THROWS_WITH(wrong.resume(state), Catch::Contains("does not fit"));
  for (const char* suffix : {"", ".best_a", ".best_b"}) std::filesystem::remove(state + suffix);
}
