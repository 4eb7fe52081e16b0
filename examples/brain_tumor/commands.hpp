// The sub-commands of brain_tumor. Each registers its options on `app` and returns the function
// that runs it (after parsing), which returns the exit code.
#pragma once

#include "cli.hpp"

namespace brain_tumor {

Command add_train_command(CLI::App& app);
Command add_cv_command(CLI::App& app);
Command add_evaluate_command(CLI::App& app);
Command add_predict_command(CLI::App& app);
Command add_convert_command(CLI::App& app);
Command add_explain_command(CLI::App& app);
Command add_export_command(CLI::App& app);
Command add_duplicates_command(CLI::App& app);
Command add_serve_command(CLI::App& app);

}  // namespace brain_tumor
