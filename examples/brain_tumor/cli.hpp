// The command line: every command registers its options on a CLI11 sub-app and gets back the
// function that runs it. Exit codes: 0 success, 1 a data or file problem, 2 a usage error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "errors.hpp"
#include "recipes.hpp"

namespace brain_tumor {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// The prefix of every message the program prints on stderr.
constexpr const char* kErrorPrefix = "brain_tumor: error: ";
constexpr const char* kWarningPrefix = "brain_tumor: warning: ";

// Validators with plain messages: "--epochs: 'abc' is not a whole number from 1 to 100000".
CLI::Validator whole_number(long min, long max);
CLI::Validator real_number(double min, double max);

// --threads N on a command; apply_threads() sets glia's thread count when it was given.
void add_threads_option(CLI::App& command, int& threads);
void apply_threads(int threads);

// --recipe seed|glia, with what it means for this command.
CLI::Option* add_recipe_option(CLI::App& command, std::string& recipe,
                               const std::string& description);

// --augment none|folder|online, left empty unless given.
CLI::Option* add_augment_option(CLI::App& command, std::optional<AugmentMode>& augment,
                                const std::string& description);

// --set NAME=VALUE (repeatable) on a command: one of the recipe's settings changed.
CLI::Option* add_settings_option(CLI::App& command, std::vector<std::string>& settings);

// The named recipe with --set's settings applied; UsageError names a bad one.
Recipe recipe_with(const std::string& name, const std::vector<std::string>& settings);

// The options of a command that reads images: --max-pixels N, the largest image it decodes (the
// header's width x height, x frames for DICOM, checked before any pixel is decoded; default
// glia::io::kDefaultMaxPixels), and --window file|auto|C,W, how DICOM grey frames are windowed.
void add_input_options(CLI::App& command);

// "4m07s", "1h02m".
std::string duration(double seconds);

// "1 epoch", "2 epochs".
std::string count_of(long n, const std::string& singular, const std::string& plural = "");

}  // namespace brain_tumor
