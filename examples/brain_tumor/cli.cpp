#include "cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

#include <glia/io/image.hpp>
#include <glia/support/parallel.hpp>

#include "dataset.hpp"
#include "recipes.hpp"

namespace brain_tumor {
namespace {

std::string plain(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

CLI::Option* add_augment_option(CLI::App& command, std::optional<AugmentMode>& augment,
                                const std::string& description) {
  // A vector, not an initializer_list: the callback below runs after this function returns.
  const std::vector<AugmentMode> modes = {AugmentMode::none, AugmentMode::folder,
                                          AugmentMode::online};
  return command
      .add_option_function<std::string>(
          "--augment",
          [&augment, modes](const std::string& name) { augment = mode_named(name, modes); },
          description)
      ->check(CLI::IsMember(names_of(modes)));
}

CLI::Validator whole_number(long min, long max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE || n < min || n > max) {
          return "'" + text + "' is not a whole number from " + range;
        }
        return "";
      },
      "INT " + range);
}

CLI::Validator real_number(double min, double max) {
  const std::string range = plain(min) + " to " + plain(max);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(d) || d < min || d > max) {
          return "'" + text + "' is not a number from " + range;
        }
        return "";
      },
      "NUMBER " + range);
}

void add_threads_option(CLI::App& command, int& threads) {
  command.add_option("--threads", threads, "worker threads (default: all cores)")
      ->check(whole_number(1, 1024));
}

void apply_threads(int threads) {
  if (threads > 0) glia::set_num_threads(threads);
}

CLI::Option* add_recipe_option(CLI::App& command, std::string& recipe,
                               const std::string& description) {
  return command.add_option("--recipe", recipe, description)
      ->check(CLI::IsMember(recipe_names()))
      ->capture_default_str();
}

CLI::Option* add_settings_option(CLI::App& command, std::vector<std::string>& settings) {
  return command.add_option(
      "--set", settings,
      "change one of the recipe's settings, NAME=VALUE (repeatable): " + setting_names());
}

Recipe recipe_with(const std::string& name, const std::vector<std::string>& settings) {
  Recipe recipe = recipe_named(name);
  for (const std::string& setting : settings) {
    try {
      apply_setting(recipe, setting);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  return recipe;
}

void add_input_options(CLI::App& command) {
  command
      .add_option_function<long>(
          "--max-pixels", [](long n) { set_max_pixels(n); },
          "refuse images whose header declares more pixels than this (DICOM: rows x columns x "
          "frames; default " +
              std::to_string(glia::io::kDefaultMaxPixels) + ")")
      ->check(whole_number(1, 1'000'000'000'000L));
  command
      .add_option_function<std::string>(
          "--window", [](const std::string& spec) { set_dicom_window(spec); },
          "how DICOM grey images are windowed to 8 bits: 'file' (the file's VOI LUT or Window "
          "Center/Width, else the stored range; the default), 'auto' (each frame's 1st to 99th "
          "percentile) or CENTER,WIDTH (e.g. 40,400)")
      ->check([](const std::string& spec) {
        try {
          set_dicom_window(spec);
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
        return std::string();
      });
}

std::string count_of(long n, const std::string& singular, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural.empty() ? singular + "s" : plural);
}

std::string duration(double seconds) {
  char text[32];
  if (seconds >= 3600) {
    std::snprintf(text, sizeof(text), "%dh%02dm", static_cast<int>(seconds / 3600),
                  static_cast<int>(seconds / 60) % 60);
  } else {
    std::snprintf(text, sizeof(text), "%dm%02ds", static_cast<int>(seconds / 60),
                  static_cast<int>(seconds) % 60);
  }
  return text;
}

}  // namespace brain_tumor
