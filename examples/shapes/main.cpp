// shapes: a multi-class image classifier built from glia's pieces alone: a generated data set,
// a small ResNet (Residual blocks, global average pooling), AdamW with a cosine schedule and
// label smoothing, the DataLoader and the Trainer. Under a minute on 2 cores.
//
// usage: shapes [--epochs N] [--train N] [--test N] [--seed N] [--threads N] [--cv K --out DIR]
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <glia/data/grouped_kfold.hpp>
#include <glia/glia.hpp>
#include <glia/support/resources.hpp>
#include <glia/train/cross_validation.hpp>

#include "shapes.hpp"

using namespace glia;

namespace {

// conv 3x3 -> batch norm, the unit of a ResNet block.
void conv_bn(nn::Sequential& s, int64_t in, int64_t out, int64_t stride) {
  s.add(nn::Conv2d(in, out, 3, stride, 1, false)).add(nn::BatchNorm2d(out));
}

// A ResNet basic block: two conv-BN units with a ReLU between, added to the input (through a
// strided 1x1 conv when the shape changes), then a ReLU.
void basic_block(nn::Sequential& net, int64_t in, int64_t out, int64_t stride) {
  nn::Sequential body;
  conv_bn(body, in, out, stride);
  body.add(nn::ReLU(nn::in_place));  // on the batch norm's fresh output
  conv_bn(body, out, out, 1);
  if (in == out && stride == 1) {
    net.add(nn::Residual(std::move(body)));
  } else {
    nn::Sequential shortcut;
    shortcut.add(nn::Conv2d(in, out, 1, stride, 0, false)).add(nn::BatchNorm2d(out));
    net.add(nn::Residual(std::move(body), std::move(shortcut)));
  }
  net.add(nn::ReLU(nn::in_place));  // on the sum's fresh output
}

nn::Sequential small_resnet(int64_t size) {
  nn::Sequential net({1, size, size});
  conv_bn(net, 1, 16, 1);
  net.add(nn::ReLU(nn::in_place));
  basic_block(net, 16, 16, 1);
  basic_block(net, 16, 32, 2);
  basic_block(net, 32, 64, 2);
  net.add(nn::GlobalAvgPool2d()).add(nn::Flatten()).add(nn::Dense(64, shapes::kKinds));
  return net;
}

// The recipe: a fresh small ResNet trained on `train` for `epochs` with AdamW, a cosine
// schedule and label smoothing, validated on `validation` each epoch.
train::History fit(nn::Sequential& net, data::Dataset& train, data::Dataset& validation,
                   long epochs, uint64_t seed) {
  data::DataLoaderOptions train_options;
  train_options.batch_size = 64;
  train_options.shuffle = true;
  train_options.seed = seed;
  data::DataLoader train_loader(train, train_options);
  data::DataLoaderOptions test_options;
  test_options.batch_size = 256;
  data::DataLoader test_loader(validation, test_options);
  optim::AdamW opt(net.parameters(), optim::AdamWOptions{3e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f});
  optim::CosineAnnealingLR schedule(opt, epochs);
  train::Trainer trainer(net, opt, train::Task::multiclass);
  trainer.set_scheduler(&schedule);
  trainer.set_label_smoothing(0.05f);
  trainer.add_callback(std::make_shared<train::LambdaCallback>([&](const train::EpochLog& log) {
    std::printf(
        "epoch %lld/%ld  %.1fs  lr %.5f  loss %.4f  acc %.4f  test_loss %.4f  test_acc %.4f\n",
        static_cast<long long>(log.epoch), epochs, log.seconds, log.lr, log.loss, log.accuracy,
        log.val_loss, log.val_accuracy);
    std::fflush(stdout);
  }));
  return trainer.fit(train_loader, &test_loader, epochs);
}

// --cv K: the same recipe cross-validated on the training images with the library's loop
// (each image its own group, the folds stratified by kind), files in `out`.
void cross_validate(data::TensorDataset& images, int folds, long epochs, uint64_t seed,
                    const std::string& out) {
  std::vector<int> labels;
  std::vector<train::CvExample> examples;
  for (size_t i = 0; i < images.size(); ++i) {
    labels.push_back(static_cast<int>(images.get(i).target.item()));
    examples.push_back({"image " + std::to_string(i), labels.back()});
  }
  std::vector<int> test_fold(images.size());
  const auto splits = data::grouped_kfold(labels, folds, seed, 0.0);
  for (size_t f = 0; f < splits.size(); ++f)
    for (size_t i = 0; i < images.size(); ++i)
      if (splits[f][i] == data::Part::test) test_fold[i] = static_cast<int>(f);
  std::filesystem::create_directories(out);
  train::CrossValidationOptions options;
  options.out = out;
  options.classes = shapes::kKinds;
  const train::CrossValidationResult cv = train::cross_validate(
      examples, test_fold, folds,
      [&](const train::FoldContext& fold) {
        std::vector<size_t> rest;
        for (size_t i = 0; i < images.size(); ++i)
          if (test_fold[i] != fold.fold) rest.push_back(i);
        data::Subset train_part(images, rest), test_part(images, fold.test);
        manual_seed(seed + static_cast<uint64_t>(fold.fold));
        nn::Sequential net = small_resnet(images.get(0).input.size(1));
        fit(net, train_part, test_part, epochs, seed);
        data::DataLoader loader(test_part, data::DataLoaderOptions{256});
        const Tensor logits = train::predict(net, loader).logits;
        return train::FoldOutcome{
            std::vector<float>(logits.data(), logits.data() + logits.numel())};
      },
      options);
  std::printf("%d-fold cross-validated accuracy %.4f (95%% CI %.3f-%.3f) on %zu images; %s\n",
              folds, cv.multiclass.accuracy, cv.accuracy_ci.low, cv.accuracy_ci.high,
              examples.size(), out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  long epochs = 8, train_count = 5000, test_count = 1000, seed = 1;
  int threads = 0, folds = 0;
  std::string out = "runs/shapes-cv";
  CLI::App app("Train a small ResNet on generated images of discs, squares, triangles and crosses.",
               "shapes");
  app.add_option("--epochs", epochs, "epochs")->check(CLI::Range(1L, 1000L))->capture_default_str();
  app.add_option("--train", train_count, "training images")
      ->check(CLI::Range(4L, 1000000L))
      ->capture_default_str();
  app.add_option("--test", test_count, "test images")
      ->check(CLI::Range(4L, 1000000L))
      ->capture_default_str();
  app.add_option("--seed", seed, "data, weights and shuffles")
      ->check(CLI::Range(0L, 1L << 40))
      ->capture_default_str();
  app.add_option("--threads", threads, "worker threads (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--cv", folds, "cross-validate on the training images with K folds instead")
      ->check(CLI::Range(2, 50));
  app.add_option("--out", out, "where --cv writes its folds")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // 2 for usage errors, as brain_tumor
  }
  if (threads) set_num_threads(threads);
  const Stopwatch clock;
  constexpr int64_t kSize = 24;
  data::TensorDataset train_set =
      shapes::make_shapes(train_count, kSize, static_cast<uint64_t>(seed));
  if (folds) {
    cross_validate(train_set, folds, epochs, static_cast<uint64_t>(seed), out);
    std::printf("wall time %.1f s on %d threads\n", clock.seconds(), num_threads());
    return 0;
  }
  data::TensorDataset test_set =
      shapes::make_shapes(test_count, kSize, static_cast<uint64_t>(seed) + 1000);
  manual_seed(static_cast<uint64_t>(seed));
  nn::Sequential net = small_resnet(kSize);
  net.summary();
  const train::History history = fit(net, train_set, test_set, epochs, static_cast<uint64_t>(seed));

  const metrics::MulticlassMetrics& m = history.back().val_multiclass;
  std::printf("\ntest accuracy %.4f on %lld images; confusion (rows: true, columns: predicted)\n",
              m.accuracy, static_cast<long long>(m.count));
  for (int t = 0; t < shapes::kKinds; ++t) {
    std::printf("  %-9s", shapes::kind_name(t));
    for (int p = 0; p < shapes::kKinds; ++p) {
      std::printf(" %5lld", static_cast<long long>(
                                m.confusion[static_cast<size_t>(t)][static_cast<size_t>(p)]));
    }
    std::printf("\n");
  }
  std::printf("wall time %.1f s on %d threads\n", clock.seconds(), num_threads());
  return 0;
}
