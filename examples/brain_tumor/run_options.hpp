// The options train and cv share, registered once: the data, the recipe and its settings, the
// augmentation, the duplicates' merging, the seed, the output folder and the machine.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "duplicates.hpp"
#include "modes.hpp"

namespace brain_tumor {

struct RunOptions {
  std::string recipe = "seed", data, out;
  std::vector<std::string> settings;         // --set name=value
  std::optional<AugmentMode> augment_given;  // --augment (the recipe's otherwise)
  DuplicateSettings duplicates;              // the grouped split's merging of duplicate scans
  long seed = 1, epochs = 0;                 // epochs 0: the recipe's
  bool force = false, strict = false;
  int threads = 0;
};

// What differs between the commands' help texts.
struct RunOptionsHelp {
  std::string data, seed, epochs, augment, out;
};

// Registers --recipe, --data, --seed, --epochs, --augment, --set, the duplicates' options,
// --out, --force, --strict, --threads and --max-pixels; returns them (but --max-pixels).
std::vector<CLI::Option*> add_run_options(CLI::App& command, RunOptions& o,
                                          const RunOptionsHelp& help);

}  // namespace brain_tumor
