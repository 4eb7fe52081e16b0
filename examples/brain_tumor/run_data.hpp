// The scans a run trains and tests on, as train and cv both load them: read from --data (or the
// built-in synthetic set), prepared once at the recipe's size, and sorted into the originals,
// the saved copies and the pool training draws from. And the checks every run makes of its
// setting: the augmentation it can have, and (under mpirun) ranks that agree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <glia/io/temporary_folder.hpp>

#include "dataset.hpp"
#include "modes.hpp"
#include "recipes.hpp"
#include "report.hpp"

namespace brain_tumor {

struct RunData {
  PreparedSet prepared;
  std::vector<int> originals, augmented;  // indices into prepared.items
  std::vector<int> pool;                  // what training draws from
  std::string description;                // "data DIR: 253 scans, 2065 augmented images"
  bool synthetic = false;                 // the built-in set (no --data)
};

// The augmentation a run uses: `given` (from --augment) or else the recipe's, where a default
// of folder becomes online when `data` has no augmented folder. DataError when --augment folder
// names a folder that is not there.
AugmentMode resolve_augment(const std::optional<AugmentMode>& given, const Recipe& recipe,
                            const std::string& data);

// Reads `data` (empty: 200 generated scans from `seed`) and prepares every image. With augment
// folder the pool is the saved copies (and the originals too with recipe.train_originals), else
// the originals. `originals_needed` false (the paper split on the saved copies) skips decoding
// the originals. Unreadable files are skipped and named on stderr; `strict` makes the first one
// a DataError.
RunData load_run_data(const std::string& data, AugmentMode augment, const Recipe& recipe,
                      bool strict, uint64_t seed, bool originals_needed = true);

// Under mpirun with several ranks: every rank must read the same files with the same
// options (glia::dist::check_agree); nothing with one rank.
void require_ranks_agree(const Json& options, const std::vector<Prepared>& items);

// Under mpirun with several ranks, only rank 0 writes into the run's folder: the others write
// into a scratch folder (returned, removed with it); --resume is not supported there.
std::unique_ptr<glia::io::TemporaryFolder> scratch_for_other_ranks(std::string& out, bool& force,
                                                                   bool resume);

}  // namespace brain_tumor
