// The example's modes as enums, each with its one list of names: the command line reads them
// (add_mode_option), run.json and report.json write them, --resume reads them back.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace brain_tumor {

// How train splits the scans: by source scan (leak-free), or the seed's shuffle of everything.
enum class SplitMode { grouped, paper };
// What the network trains on: the preprocessed originals only, the seed's saved augmented
// copies, or random Keras-style transforms every epoch.
enum class AugmentMode { none, folder, online };
// Which scans a grouped split merges: identical pixels only, or near duplicates too; automatic
// is near for files and exact for the built-in synthetic scans (distinct by construction).
enum class DuplicatesMode { automatic, exact, near };
// Which epoch's weights a training keeps.
enum class Monitor { val_accuracy, val_loss, last };

NLOHMANN_JSON_SERIALIZE_ENUM(SplitMode,
                             {{SplitMode::grouped, "grouped"}, {SplitMode::paper, "paper"}})
NLOHMANN_JSON_SERIALIZE_ENUM(AugmentMode, {{AugmentMode::none, "none"},
                                           {AugmentMode::folder, "folder"},
                                           {AugmentMode::online, "online"}})
NLOHMANN_JSON_SERIALIZE_ENUM(DuplicatesMode, {{DuplicatesMode::automatic, "auto"},
                                              {DuplicatesMode::exact, "exact"},
                                              {DuplicatesMode::near, "near"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Monitor, {{Monitor::val_accuracy, "val_accuracy"},
                                       {Monitor::val_loss, "val_loss"},
                                       {Monitor::last, "last"}})

// A mode's name, as the command line and the JSON files spell it.
template <class Mode>
std::string name_of(Mode mode) {
  return nlohmann::json(mode).get<std::string>();
}

// The names of `modes`, in order.
template <class Mode>
std::vector<std::string> names_of(const std::vector<Mode>& modes) {
  std::vector<std::string> names;
  for (Mode m : modes) names.push_back(name_of(m));
  return names;
}

// The mode from its name; std::invalid_argument naming the choices for another word.
template <class Mode>
Mode mode_named(const std::string& name, const std::vector<Mode>& modes) {
  std::string choices;
  for (Mode m : modes) {
    if (name_of(m) == name) return m;
    choices += (choices.empty() ? "" : ", ") + name_of(m);
  }
  throw std::invalid_argument("'" + name + "' is not one of " + choices);
}

// An option whose value is one of `modes`, by name ("--split grouped"); `show_default` shows
// the mode's current value as the default in --help. The callback runs at parse time, after the
// caller's braced list is gone, so it keeps its own copy of the modes (an initializer_list
// captured here would dangle).
template <class Mode>
CLI::Option* add_mode_option(CLI::App& command, const std::string& flag, Mode& mode,
                             std::vector<Mode> modes, const std::string& description,
                             bool show_default = true) {
  CLI::Option* option = command.add_option_function<std::string>(
      flag, [&mode, modes](const std::string& name) { mode = mode_named(name, modes); },
      description);
  option->check(CLI::IsMember(names_of(modes)));
  if (show_default) option->default_str(name_of(mode));
  return option;
}

}  // namespace brain_tumor
