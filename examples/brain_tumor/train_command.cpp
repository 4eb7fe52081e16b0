// brain_tumor train: one training run of a recipe, with a leak-free split by default.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include <glia/dist/dist.hpp>
#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>
#include <glia/support/resources.hpp>

#include "commands.hpp"
#include "duplicates.hpp"
#include "run_data.hpp"
#include "run_folder.hpp"
#include "train_output.hpp"
#include "training.hpp"

namespace brain_tumor {
namespace {
namespace fs = std::filesystem;

std::string default_out(const TrainOptions& o) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  return "runs/" + o.recipe + "-" + name_of(o.split) + "-seed" + std::to_string(o.seed) + "-" +
         stamp;
}

// The recipe with the options applied; fills the options' defaults from it (run.json records
// what the run used).
Recipe resolve_recipe(TrainOptions& o) {
  Recipe recipe = recipe_with(o.recipe, o.settings);
  const bool synthetic = o.data.empty();
  if (!synthetic && !fs::is_directory(o.data))
    throw DataError("data folder '" + o.data + "' does not exist");
  recipe.epochs = o.epochs ? o.epochs : synthetic ? 8 : recipe.epochs;
  if (o.batch) recipe.batch = o.batch;
  if (o.lr > 0) recipe.lr = static_cast<float>(o.lr);
  o.epochs = recipe.epochs;
  o.batch = recipe.batch;
  o.lr = recipe.lr;
  o.duplicates = resolved(o.duplicates, synthetic);
  o.augment = resolve_augment(o.augment_given, recipe, o.data);
  return recipe;
}

// The split of the run's scans: the seed's shuffle, or by scan group with duplicates merged.
Split split_run(const TrainOptions& o, RunData& run) {
  const std::vector<Prepared>& items = run.prepared.items;
  Split split = o.split == SplitMode::paper
                    ? paper_split(run.pool, o.seed)
                    : grouped_split(items, run.pool, run.originals, o.seed,
                                    find_duplicate_scans(items, run.originals, o.duplicates));
  if (split.train.empty() || split.val.empty() || split.test.empty())
    throw DataError("too few images to split into train, validation and test");
  // Release the cached pixels of images no part uses (originals that only grouped the copies).
  std::vector<bool> used(items.size(), false);
  for (const auto* part : {&split.train, &split.val, &split.test, &split.test_originals})
    for (int i : *part) used[static_cast<size_t>(i)] = true;
  for (size_t i = 0; i < used.size(); ++i)
    if (!used[i]) Image().pixels.swap(run.prepared.items[i].image.pixels);
  return split;
}

int run_train(TrainOptions o, const std::string& resume_dir) {
  const bool resume = !resume_dir.empty();
  const auto scratch = scratch_for_other_ranks(o.out, o.force, resume);
  std::unique_ptr<RunFolder> folder;
  if (resume) {
    folder = std::make_unique<RunFolder>(resume_dir, true, false);
    if (fs::exists(folder->file("report.json"))) {
      std::printf("the run in %s has finished; nothing to resume\n", resume_dir.c_str());
      return 0;
    }
    try {
      o = nlohmann::json::parse(folder->read_options().dump()).get<TrainOptions>();
    } catch (const nlohmann::json::exception& e) {
      throw DataError("cannot resume '" + resume_dir + "': run.json: " + e.what());
    }
    glia::set_isa(*glia::parse_isa(o.isa));
    o.augment_given = o.augment;
  }
  const Recipe recipe = resolve_recipe(o);
  apply_threads(o.threads);
  o.threads = glia::num_threads();
  o.isa = glia::isa_name(glia::active_isa());
  const Json options = Json::parse(nlohmann::json(o).dump());
  if (!resume) {
    folder = std::make_unique<RunFolder>(o.out.empty() ? default_out(o) : o.out, false, o.force);
    folder->start(options, false);
  }
  const glia::Stopwatch clock;
  glia::manual_seed(static_cast<uint64_t>(o.seed));
  RunData run = load_run_data(o.data, o.augment, recipe, o.strict, o.seed,
                              !(o.augment == AugmentMode::folder && o.split == SplitMode::paper));
  const Split split = split_run(o, run);
  print_setup(o, run, split, resume);
  require_ranks_agree(options, run.prepared.items);

  TrainingPlan plan;
  plan.recipe = recipe;
  plan.augment = o.augment;
  plan.seed = static_cast<uint64_t>(o.seed);
  plan.best_path = folder->file("best.glia");
  plan.state_path = folder->file("state.glia");
  plan.resume = resume;
  show_progress(plan, split.train.size(), recipe.models);
  FittedModel model = fit_recipe(run.prepared.items, split, plan);
  glia::dist::check_models_agree("the trained weights", model.net);
  auto metrics_on = [&](const std::vector<int>& part) {
    return glia::metrics::binary_metrics(
        predict_logits(model.net, recipe, run.prepared.items, part),
        labels_of(run.prepared.items, part));
  };
  Tested tested{metrics_on(split.test), {}};
  if (o.split == SplitMode::grouped) tested.test_originals = metrics_on(split.test_originals);
  print_results(o, recipe, model, tested, plan.best_path);
  std::printf("wall time %.1f s, peak memory %.0f MB\n", clock.seconds(), glia::peak_memory_mb());
  write_outputs(*folder, o, run, split, model, tested, clock.seconds());
  std::printf("wrote %s/{history.csv, loss.svg, accuracy.svg, best.glia, report.json}\n",
              folder->dir().c_str());
  return 0;
}

}  // namespace

Command add_train_command(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto resume = std::make_shared<std::string>();
  TrainOptions& o = *options;
  CLI::App* cmd =
      app.add_subcommand("train", "train a network on the scans (the seed recipe by default)");
  cmd->footer(
      "Trains a recipe's network and keeps its best weights by validation. Without --data it "
      "trains on a built-in synthetic data set. A run writes a resumable state every epoch: "
      "'train --resume DIR' continues an interrupted run exactly.");
  std::vector<CLI::Option*> run_options = add_run_options(
      *cmd, o,
      {"DIR/yes and DIR/no (Kaggle layout); DIR/augmented data/{yes,no} is used by --augment "
       "folder",
       "shuffling, splitting, initial weights and augmentation",
       "epochs (default: the recipe's, 24 for seed; 8 on the built-in data)",
       "folder: the seed's saved copies (the seed recipe's default when DIR/augmented data "
       "exists); online: random Keras-style transforms every epoch; none: the preprocessed "
       "originals only",
       "output folder (default runs/<recipe>-<split>-seed<N>-<time>)"});
  run_options.push_back(
      add_mode_option(*cmd, "--split", o.split, {SplitMode::grouped, SplitMode::paper},
                      "grouped: split by source scan, duplicates merged, no leakage; paper: "
                      "shuffle all images and split 70/15/15, as the seed did"));
  run_options.push_back(cmd->add_option("--batch", o.batch, "batch size (default: the recipe's)")
                            ->check(whole_number(1, 4096)));
  run_options.push_back(cmd->add_option("--lr", o.lr, "learning rate (default: the recipe's)")
                            ->check(real_number(1e-9, 10.0)));
  CLI::Option* resume_option = cmd->add_option(
      "--resume", *resume,
      "continue the interrupted run in DIR with its own options (from DIR/run.json)");
  for (CLI::Option* other : run_options) resume_option->excludes(other);
  return {cmd, [options, resume] { return run_train(*options, *resume); }};
}

}  // namespace brain_tumor
