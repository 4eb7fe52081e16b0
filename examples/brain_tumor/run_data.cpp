#include "run_data.hpp"

#include <filesystem>
#include <iostream>

#include <glia/dist/dist.hpp>

#include "cli.hpp"
#include "synthetic.hpp"

namespace brain_tumor {

AugmentMode resolve_augment(const std::optional<AugmentMode>& given, const Recipe& recipe,
                            const std::string& data) {
  const bool has_copies = !data.empty() && std::filesystem::is_directory(
                                               std::filesystem::path(data) / "augmented data");
  if (given) {
    if (*given == AugmentMode::folder && !has_copies)
      throw DataError("--augment folder needs '" + (data.empty() ? std::string("DIR") : data) +
                      "/augmented data/{yes,no}'");
    return *given;
  }
  if (recipe.augment == AugmentMode::folder && !has_copies) return AugmentMode::online;
  return recipe.augment;
}

RunData load_run_data(const std::string& data, AugmentMode augment, const Recipe& recipe,
                      bool strict, uint64_t seed, bool originals_needed) {
  RunData run;
  std::vector<ImageRef> refs;
  std::vector<Image> generated;
  if (!data.empty()) {
    Catalog catalog = scan_data_dir(data);
    if (originals_needed || augment != AugmentMode::folder) refs = catalog.originals;
    if (augment == AugmentMode::folder)
      refs.insert(refs.end(), catalog.augmented.begin(), catalog.augmented.end());
    run.description = "data " + data + ": " +
                      count_of(static_cast<long>(catalog.originals.size()), "scan") + ", " +
                      count_of(static_cast<long>(catalog.augmented.size()), "augmented image");
  } else {
    SyntheticSet synthetic = make_synthetic_set(100, seed);
    refs = synthetic.refs;
    generated = std::move(synthetic.images);
    run.synthetic = true;
    run.description =
        "built-in synthetic data: " + count_of(static_cast<long>(refs.size()), "generated scan") +
        " (use --data DIR for real images)";
  }
  run.prepared = prepare_images(refs, strict, generated, recipe.image_size);
  for (const SkippedFile& s : run.prepared.skipped)
    std::cerr << kWarningPrefix << "skipped '" << s.relative << "': " << s.reason << "\n";
  for (size_t i = 0; i < run.prepared.items.size(); ++i)
    (run.prepared.items[i].ref.augmented ? run.augmented : run.originals)
        .push_back(static_cast<int>(i));
  run.pool = augment == AugmentMode::folder ? run.augmented : run.originals;
  if (augment == AugmentMode::folder && recipe.train_originals)
    run.pool.insert(run.pool.end(), run.originals.begin(), run.originals.end());
  return run;
}

void require_ranks_agree(const Json& options, const std::vector<Prepared>& items) {
  if (glia::dist::world_size() == 1) return;
  std::string inputs = options.dump();
  for (const Prepared& p : items)
    inputs += "\n" + p.ref.relative + "\t" + std::to_string(p.ref.label);
  glia::dist::check_agree("the data and the options", inputs);
}

std::unique_ptr<glia::io::TemporaryFolder> scratch_for_other_ranks(std::string& out, bool& force,
                                                                   bool resume) {
  if (glia::dist::world_size() == 1) return nullptr;
  if (resume) throw UsageError("--resume is not supported under mpirun with several ranks");
  if (glia::dist::rank() == 0) return nullptr;
  auto scratch = std::make_unique<glia::io::TemporaryFolder>("brain_tumor-rank-");
  out = scratch->path();
  force = true;
  return scratch;
}

}  // namespace brain_tumor
