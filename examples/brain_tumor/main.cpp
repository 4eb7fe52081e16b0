// brain_tumor: the seed paper's brain-tumour MRI classifier, on glia.
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <glia/dist/dist.hpp>

#include "commands.hpp"

namespace {

using brain_tumor::kErrorPrefix;

constexpr const char* kVersion = "brain_tumor 0.2.0 (glia 0.2.0)";

// The command the user ran, or the program itself: its usage goes with an error.
const CLI::App* deepest_parsed(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return deepest_parsed(*sub);
  return &app;
}

// A command's help, its usage line naming the program ("Usage: brain_tumor train [OPTIONS]").
std::string help_of(const CLI::App& command) {
  return command.get_parent() ? command.help("brain_tumor") : command.help();
}

int usage_error(const CLI::App& command, const std::string& what) {
  std::cerr << kErrorPrefix << what << "\n\n" << help_of(command);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::unique_ptr<glia::dist::Session> mpi;  // under mpirun: MPI to the end of main
  try {
    mpi = glia::dist::start_if_launched(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << kErrorPrefix << e.what() << "\n";
    return 1;
  }
  CLI::App app(
      "The seed paper's brain-tumour MRI classifier (Keras, 2019) on glia: train it, "
      "measure it, and explain its decisions.",
      "brain_tumor");
  app.set_version_flag("--version", kVersion);
  std::vector<brain_tumor::Command> commands = {
      brain_tumor::add_train_command(app),    brain_tumor::add_cv_command(app),
      brain_tumor::add_evaluate_command(app), brain_tumor::add_predict_command(app),
      brain_tumor::add_convert_command(app),  brain_tumor::add_explain_command(app),
      brain_tumor::add_export_command(app),   brain_tumor::add_duplicates_command(app),
      brain_tumor::add_serve_command(app)};
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show the options of a command, or this list.");
  help->add_option("command", help_topic, "the command");
  app.require_subcommand(0, 1);
  app.footer(
      "Run 'brain_tumor help COMMAND' or 'brain_tumor COMMAND --help' for a command's "
      "options.");

  const std::string top_help = app.help();  // before parsing, which selects a command

  // A first word that is neither an option nor a command is a mistyped command.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = std::strcmp(argv[1], "help") == 0;
    for (const auto& c : commands) known = known || c.app->get_name() == argv[1];
    if (!known) return usage_error(app, std::string("unknown command '") + argv[1] + "'");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << help_of(*deepest_parsed(app));
    return 0;
  } catch (const CLI::CallForVersion&) {
    std::cout << kVersion << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(*deepest_parsed(app), e.what());
  }
  if (help->parsed()) {
    if (help_topic.empty()) {
      std::cout << top_help;
      return 0;
    }
    for (const auto& c : commands) {
      if (c.app->get_name() == help_topic) {
        std::cout << help_of(*c.app);
        return 0;
      }
    }
    return usage_error(app, "unknown command '" + help_topic + "'");
  }
  for (const auto& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      return c.run();
    } catch (const brain_tumor::UsageError& e) {
      return usage_error(*c.app, e.what());
    } catch (const std::exception& e) {
      // Under mpirun, one rank's error ends every rank (the others would wait for it).
      if (glia::dist::world_size() > 1) glia::dist::abort(e.what());
      std::cerr << kErrorPrefix << e.what() << "\n";
      return 1;
    }
  }
  return usage_error(app, "no command given");
}
