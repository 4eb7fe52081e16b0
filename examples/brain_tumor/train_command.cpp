// brain_tumor train: the seed's training run, with a leak-free split by default.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <glia/glia.hpp>

#include "cli.hpp"
#include "commands.hpp"
#include "dataset.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "synthetic.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

const char* kTrainUsage = R"(usage: brain_tumor train [options]

Trains the seed network (Adam, binary cross-entropy) and keeps the weights with the best
validation accuracy. Without --data it trains on a built-in synthetic data set.

options:
  --data DIR          DIR/yes and DIR/no (Kaggle layout); DIR/augmented data/{yes,no} is used
                      by --augment folder
  --split S           grouped (default): split by source scan, duplicates merged, no leakage
                      paper: shuffle all images and split 70/15/15, as the seed did
  --epochs N          default 24 (8 on the built-in data)
  --batch N           default 32
  --lr X              Adam learning rate, default 0.001
  --seed N            shuffling, splitting, initial weights and augmentation, default 1
  --augment A         folder (default when DIR/augmented data exists): the seed's saved copies
                      online (default otherwise): random Keras-style transforms every epoch
                      none: the preprocessed originals only
  --out DIR           output folder, default runs/<split>-seed<N>-<time>
  --force             write into --out even if it already holds files
  --strict            stop at the first unreadable image instead of skipping it
  --threads N         worker threads (default: all cores)
)";

struct Sets {
  PreparedSet prepared;
  Split split;
  std::string description;
  bool folder_augmented = false;
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

std::string default_out(const std::string& split, long seed) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + split + "-seed" + std::to_string(seed) + "-" + stamp;
}

// Loads the images, preprocesses them into the cache, and splits them.
Sets load_sets(const Args& args, const std::string& split_kind, const std::string& augment,
               uint64_t seed, bool strict) {
  Sets sets;
  std::vector<ImageRef> refs;
  std::vector<Image> generated;
  if (args.has("data")) {
    Catalog catalog = scan_data_dir(args.get("data"));
    if (augment == "folder" && catalog.augmented.empty()) {
      throw DataError("--augment folder needs '" + args.get("data") + "/augmented data/{yes,no}'");
    }
    // The paper split on the saved copies never looks at the originals: skip decoding them.
    if (!(augment == "folder" && split_kind == "paper")) refs = catalog.originals;
    if (augment == "folder")
      refs.insert(refs.end(), catalog.augmented.begin(), catalog.augmented.end());
    sets.description = "data " + args.get("data") + ": " +
                       std::to_string(catalog.originals.size()) + " scans, " +
                       std::to_string(catalog.augmented.size()) + " augmented images";
  } else {
    SyntheticSet synthetic = make_synthetic_set(100, seed);
    refs = synthetic.refs;
    generated = std::move(synthetic.images);
    sets.description = "built-in synthetic data: " + std::to_string(refs.size()) +
                       " generated scans (use --data DIR for real images)";
  }
  sets.folder_augmented = augment == "folder";
  sets.prepared = prepare_images(refs, strict, generated);

  std::vector<int> original_items, augmented_items;
  for (size_t i = 0; i < sets.prepared.items.size(); ++i) {
    (sets.prepared.items[i].ref.augmented ? augmented_items : original_items)
        .push_back(static_cast<int>(i));
  }
  const std::vector<int>& pool = sets.folder_augmented ? augmented_items : original_items;
  if (split_kind == "paper") {
    sets.split = paper_split(pool, seed);
  } else {
    sets.split = grouped_split(sets.prepared.items, pool, original_items, seed);
  }
  if (sets.split.train.empty() || sets.split.val.empty() || sets.split.test.empty()) {
    throw DataError("too few images to split into train, validation and test");
  }
  // Release the cached pixels of images no part of the split uses (originals that only served
  // to group the copies): a few tens of MB of the run's peak memory.
  std::vector<bool> used(sets.prepared.items.size(), false);
  for (const auto* part :
       {&sets.split.train, &sets.split.val, &sets.split.test, &sets.split.test_originals}) {
    for (int i : *part) used[static_cast<size_t>(i)] = true;
  }
  for (size_t i = 0; i < used.size(); ++i) {
    if (!used[i]) Image().pixels.swap(sets.prepared.items[i].image.pixels);
  }
  return sets;
}

std::string epoch_line(const EpochRecord& r, size_t images) {
  char line[256];
  std::snprintf(line, sizeof(line),
                "%zu/%zu - %.0fs - loss: %.4f - acc: %.4f - val_loss: %.4f - val_acc: %.4f", images,
                images, r.seconds, r.loss, r.accuracy, r.val_loss, r.val_accuracy);
  return line;
}

void print_metrics(const char* name, const Metrics& m) {
  std::printf(
      "%-20s acc %.4f  f1 %.4f  precision %.4f  recall %.4f  auc %.4f  [[%lld %lld] [%lld %lld]]  "
      "n=%lld\n",
      name, m.accuracy, m.f1, m.precision, m.recall, m.roc_auc, static_cast<long long>(m.tn),
      static_cast<long long>(m.fp), static_cast<long long>(m.fn), static_cast<long long>(m.tp),
      static_cast<long long>(m.count));
}

std::vector<int> labels_of(const std::vector<Prepared>& items, const std::vector<int>& order) {
  std::vector<int> labels;
  for (int i : order) labels.push_back(items[static_cast<size_t>(i)].ref.label);
  return labels;
}

}  // namespace

int run_train(int argc, char** argv) {
  const Args args = Args::parse(argc, argv, 2,
                                {{"data", true},
                                 {"split", true},
                                 {"epochs", true},
                                 {"batch", true},
                                 {"lr", true},
                                 {"seed", true},
                                 {"augment", true},
                                 {"out", true},
                                 {"force", false},
                                 {"strict", false},
                                 {"threads", true}},
                                false);
  if (args.has("help")) {
    std::cout << kTrainUsage;
    return 0;
  }
  const bool synthetic = !args.has("data");
  const std::string split_kind = args.choice("split", {"grouped", "paper"}, "grouped");
  const long epochs = args.integer("epochs", synthetic ? 8 : 24, 1, 100000);
  const long batch = args.integer("batch", 32, 1, 4096);
  const double lr = args.real("lr", 1e-3, 0.0, 10.0);
  const long seed = args.integer("seed", 1, 0, 1L << 40);
  const bool has_folder =
      !synthetic && fs::is_directory(fs::path(args.get("data")) / "augmented data");
  const std::string augment =
      args.choice("augment", {"none", "folder", "online"}, has_folder ? "folder" : "online");
  apply_threads_flag(args);
  const std::string out = args.get("out", default_out(split_kind, seed));
  const bool strict = args.has("strict");

  if (fs::exists(out) && !fs::is_empty(out) && !args.has("force")) {
    std::cerr << "brain_tumor: output folder '" << out
              << "' already holds files; choose another --out or add --force\n";
    return 1;
  }
  const auto wall_start = std::chrono::steady_clock::now();
  glia::manual_seed(static_cast<uint64_t>(seed));

  Sets sets = load_sets(args, split_kind, augment, static_cast<uint64_t>(seed), strict);
  const std::vector<Prepared>& items = sets.prepared.items;
  for (const SkippedFile& s : sets.prepared.skipped) {
    std::cerr << "warning: skipped '" << s.relative << "': " << s.reason << "\n";
  }
  std::printf("%s\n", sets.description.c_str());
  if (sets.prepared.no_contour) {
    std::printf("note: no brain contour found in %d image(s); kept whole\n",
                sets.prepared.no_contour);
  }
  std::printf("split %s (seed %ld), augment %s: train %zu, val %zu, test %zu", split_kind.c_str(),
              seed, augment.c_str(), sets.split.train.size(), sets.split.val.size(),
              sets.split.test.size());
  if (split_kind == "grouped") {
    std::printf(", test original scans %zu; %d scan groups, %d duplicate scans merged",
                sets.split.test_originals.size(), sets.split.groups, sets.split.duplicate_merges);
  }
  std::printf("\n");
  if (split_kind == "paper") {
    std::printf(
        "warning: the paper split shuffles augmented copies, so copies of one scan sit in "
        "train and test; its test figures are optimistic (use --split grouped)\n");
  }
  std::printf("threads %d, %ld epochs, batch %ld, lr %g\n", glia::num_threads(), epochs, batch, lr);
  std::fflush(stdout);

  fs::create_directories(out);
  const std::string best_path = (fs::path(out) / "best.glia").string();
  glia::nn::Sequential net = glia::nn::brain_tumor_cnn();
  glia::optim::Adam opt(net.parameters(),
                        glia::optim::AdamOptions{static_cast<float>(lr), 0.9f, 0.999f, 1e-7f});
  const bool interactive = isatty(STDOUT_FILENO);
  const std::vector<int> val_labels = labels_of(items, sets.split.val);
  std::vector<EpochRecord> history;
  double best_val = -1.0;
  int best_epoch = 0;
  Metrics best_val_metrics;
  std::vector<int> order = sets.split.train;
  glia::Rng shuffle_rng(static_cast<uint64_t>(seed) ^ 0x5DEECE66Dull);
  AugmentPlan plan;
  plan.seed = static_cast<uint64_t>(seed);

  for (long epoch = 1; epoch <= epochs; ++epoch) {
    std::printf("Epoch %ld/%ld\n", epoch, epochs);
    std::fflush(stdout);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffle_rng.below(i)]);
    plan.epoch = static_cast<uint64_t>(epoch);
    ProgressBar bar(order.size(), interactive);
    net.train();
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0;
    for (size_t begin = 0; begin < order.size(); begin += static_cast<size_t>(batch)) {
      const size_t end = std::min(order.size(), begin + static_cast<size_t>(batch));
      const glia::Tensor x =
          make_batch(items, order, begin, end, augment == "online" ? &plan : nullptr);
      const glia::Tensor y = make_labels(items, order, begin, end);
      opt.zero_grad();
      const glia::Tensor logits = net.forward(x);
      glia::Tensor loss = glia::binary_cross_entropy_with_logits(logits, y);
      loss.backward();
      opt.step();
      const int64_t n = static_cast<int64_t>(end - begin);
      loss_sum += static_cast<double>(loss.item()) * static_cast<double>(n);
      for (int64_t i = 0; i < n; ++i) correct += (logits.data()[i] > 0.0f) == (y.data()[i] > 0.5f);
      seen += n;
      bar.update(end, loss_sum / static_cast<double>(seen),
                 static_cast<double>(correct) / static_cast<double>(seen));
    }
    const Metrics val = compute_metrics(predict_logits(net, items, sets.split.val), val_labels);
    EpochRecord record{static_cast<int>(epoch),
                       loss_sum / static_cast<double>(seen),
                       static_cast<double>(correct) / static_cast<double>(seen),
                       val.loss,
                       val.accuracy,
                       bar.seconds()};
    history.push_back(record);
    if (val.accuracy > best_val) {
      best_val = val.accuracy;
      best_epoch = static_cast<int>(epoch);
      best_val_metrics = val;
      glia::save(net, best_path);
    }
    bar.finish(epoch_line(record, order.size()));
  }

  // Test the best-validation checkpoint, as the seed did.
  glia::load(net, best_path);
  const Metrics test = compute_metrics(predict_logits(net, items, sets.split.test),
                                       labels_of(items, sets.split.test));
  Metrics test_originals;
  const bool grouped = split_kind == "grouped";
  if (grouped) {
    test_originals = compute_metrics(predict_logits(net, items, sets.split.test_originals),
                                     labels_of(items, sets.split.test_originals));
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::printf("best epoch %d (val_acc %.4f), weights in %s\n", best_epoch, best_val,
              best_path.c_str());
  print_metrics("val (best epoch)", best_val_metrics);
  print_metrics("test", test);
  if (grouped) print_metrics("test original scans", test_originals);
  std::printf("wall time %.1f s, peak memory %.0f MB\n", wall, peak_rss_mb());

  std::vector<double> loss, val_loss, acc, val_acc;
  for (const EpochRecord& r : history) {
    loss.push_back(r.loss);
    val_loss.push_back(r.val_loss);
    acc.push_back(r.accuracy);
    val_acc.push_back(r.val_accuracy);
  }
  const fs::path dir(out);
  glia::io::write_file_atomically((dir / "history.csv").string(), history_csv(history));
  glia::io::write_file_atomically((dir / "loss.svg").string(),
                                  learning_curve_svg("Loss", "loss", loss, val_loss));
  glia::io::write_file_atomically((dir / "accuracy.svg").string(),
                                  learning_curve_svg("Accuracy", "accuracy", acc, val_acc));

  Json json;
  json.begin_object();
  json.key("split").value(split_kind);
  json.key("seed").value(static_cast<int64_t>(seed));
  json.key("epochs").value(static_cast<int64_t>(epochs));
  json.key("batch").value(static_cast<int64_t>(batch));
  json.key("lr").value(lr);
  json.key("augment").value(augment);
  json.key("data").value(synthetic ? std::string("built-in synthetic") : args.get("data"));
  json.key("threads").value(glia::num_threads());
  json.key("counts").begin_object();
  json.key("train").value(static_cast<int64_t>(sets.split.train.size()));
  json.key("val").value(static_cast<int64_t>(sets.split.val.size()));
  json.key("test").value(static_cast<int64_t>(sets.split.test.size()));
  if (grouped) {
    json.key("test_original_scans").value(static_cast<int64_t>(sets.split.test_originals.size()));
    json.key("groups").value(sets.split.groups);
    json.key("duplicate_scans_merged").value(sets.split.duplicate_merges);
  }
  json.end_object();
  json.key("best_epoch").value(best_epoch);
  json.key("val").metrics(best_val_metrics);
  json.key("test").metrics(test);
  if (grouped) json.key("test_original_scans").metrics(test_originals);
  json.key("skipped_files").begin_array();
  for (const SkippedFile& s : sets.prepared.skipped) {
    json.begin_object().key("file").value(s.relative).key("reason").value(s.reason).end_object();
  }
  json.end_array();
  json.key("skipped_count").value(static_cast<int64_t>(sets.prepared.skipped.size()));
  json.key("no_contour_count").value(sets.prepared.no_contour);
  json.key("wall_seconds").value(wall);
  json.key("peak_memory_mb").value(peak_rss_mb());
  if (!grouped) {
    json.key("note").value(
        "paper split: augmented copies of one scan are in train and test, so test figures are "
        "optimistic");
  }
  json.end_object();
  glia::io::write_file_atomically((dir / "report.json").string(), json.str());
  std::printf("wrote %s/{history.csv, loss.svg, accuracy.svg, best.glia, report.json}\n",
              out.c_str());
  return 0;
}

}  // namespace brain_tumor
