// Command-line flags: --name value, --name=value, and boolean --name. Unknown flags and bad
// values throw UsageError (exit code 2).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace brain_tumor {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FlagSpec {
  std::string name;  // without the leading dashes
  bool takes_value;
};

class Args {
 public:
  // Parses argv[first, argc). `--help` and `-h` are always accepted.
  static Args parse(int argc, char** argv, int first, const std::vector<FlagSpec>& specs,
                    bool allow_positional);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  // One of `choices`, else UsageError naming the flag and the choices.
  std::string choice(const std::string& name, const std::vector<std::string>& choices,
                     const std::string& fallback) const;
  long integer(const std::string& name, long fallback, long min, long max) const;
  double real(const std::string& name, double fallback, double min, double max) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Applies --threads N (if given) to glia's thread count; every command accepts it.
void apply_threads_flag(const Args& args);

}  // namespace brain_tumor
