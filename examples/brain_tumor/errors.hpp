// The two kinds of failure the program reports, and their exit codes.
#pragma once

#include <stdexcept>

namespace brain_tumor {

// A problem with the data or files the user pointed at (missing folders, unreadable files in
// --strict mode, an output folder in use): reported on stderr, exit code 1.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A usage problem found after parsing (options that do not go together): exit code 2, with the
// command's usage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace brain_tumor
