#include "run_options.hpp"

#include "cli.hpp"

namespace brain_tumor {

std::vector<CLI::Option*> add_run_options(CLI::App& command, RunOptions& o,
                                          const RunOptionsHelp& help) {
  const size_t first = command.get_options().size();
  add_recipe_option(command, o.recipe,
                    "seed: the paper's network and settings; glia: this project's recipe "
                    "(docs/results.md)");
  command.add_option("--data", o.data, help.data);
  command.add_option("--seed", o.seed, help.seed)
      ->check(whole_number(0, 1L << 40))
      ->capture_default_str();
  command.add_option("--epochs", o.epochs, help.epochs)->check(whole_number(1, 100000));
  add_augment_option(command, o.augment_given, help.augment);
  add_settings_option(command, o.settings);
  add_duplicate_options(command, o.duplicates);
  command.add_option("--out", o.out, help.out);
  command.add_flag("--force", o.force, "write into --out even if it already holds files");
  command.add_flag("--strict", o.strict,
                   "stop at the first unreadable image instead of skipping it");
  add_threads_option(command, o.threads);
  const std::vector<CLI::Option*> all = command.get_options();
  add_input_options(command);
  return {all.begin() + static_cast<long>(first), all.end()};
}

}  // namespace brain_tumor
