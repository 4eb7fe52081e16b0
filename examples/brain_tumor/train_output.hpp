// What brain_tumor train prints and writes: its opening lines, Keras-style progress, the kept
// weights' figures, and the run's files (history, learning curves, report.json).
#pragma once

#include <string>

#include "dataset.hpp"
#include "modes.hpp"
#include "run_data.hpp"
#include "run_folder.hpp"
#include "run_options.hpp"
#include "training.hpp"

namespace brain_tumor {

// What a run was started with: run.json, which --resume reads back.
struct TrainOptions : RunOptions {
  SplitMode split = SplitMode::grouped;
  AugmentMode augment = AugmentMode::none;  // resolved: --augment, or the recipe's
  long batch = 0;                           // 0: the recipe's
  double lr = 0;                            // 0: the recipe's
  std::string isa;  // recorded for --resume: the same kernels give the same sums
};
// Runs before glia 0.3 recorded no settings and merged identical scans only.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainOptions, recipe, data, settings, split,
                                                augment, epochs, batch, lr, seed, strict, threads,
                                                isa, duplicates)

// The kept weights on the test part (and, for the grouped split, the held-out originals).
struct Tested {
  glia::metrics::BinaryMetrics test, test_originals;
};

void print_setup(const TrainOptions& o, const RunData& run, const Split& split, bool resume);
// Keras-style progress: "Epoch 3/24", a bar during the epoch, the epoch's figures after it.
void show_progress(TrainingPlan& plan, size_t train_size, int64_t networks);
void print_results(const TrainOptions& o, const Recipe& recipe, const FittedModel& model,
                   const Tested& tested, const std::string& best_path);
// history.csv, the learning curves and report.json of a finished run.
void write_outputs(const RunFolder& folder, const TrainOptions& o, const RunData& run,
                   const Split& split, const FittedModel& model, const Tested& tested, double wall);

}  // namespace brain_tumor
