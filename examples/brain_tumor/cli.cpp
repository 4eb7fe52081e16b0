#include "cli.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <glia/support/parallel.hpp>

namespace brain_tumor {

Args Args::parse(int argc, char** argv, int first, const std::vector<FlagSpec>& specs,
                 bool allow_positional) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "-h" || word == "--help") {
      args.values_["help"] = "";
      continue;
    }
    if (word.rfind("--", 0) != 0 || word == "--") {
      if (!allow_positional) throw UsageError("unexpected argument '" + word + "'");
      args.positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (!spec) throw UsageError("unknown flag '--" + name + "'");
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argc) throw UsageError("flag '--" + name + "' needs a value");
      value = argv[++i];
    }
    if (!spec->takes_value && inline_value) {
      throw UsageError("flag '--" + name + "' takes no value");
    }
    if (args.values_.count(name)) throw UsageError("flag '--" + name + "' given twice");
    args.values_[name] = value;
  }
  return args;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::choice(const std::string& name, const std::vector<std::string>& choices,
                         const std::string& fallback) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  std::string list;
  for (const std::string& c : choices) {
    if (c == v) return v;
    list += (list.empty() ? "" : ", ") + c;
  }
  throw UsageError("--" + name + " must be one of " + list + ", got '" + v + "'");
}

long Args::integer(const std::string& name, long fallback, long min, long max) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  char* end = nullptr;
  errno = 0;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE || n < min || n > max) {
    throw UsageError("--" + name + " must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + v + "'");
  }
  return n;
}

double Args::real(const std::string& name, double fallback, double min, double max) const {
  if (!has(name)) return fallback;
  const std::string v = get(name);
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d) || d < min || d > max) {
    throw UsageError("--" + name + " must be a number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + v + "'");
  }
  return d;
}

void apply_threads_flag(const Args& args) {
  if (args.has("threads")) glia::set_num_threads(static_cast<int>(args.integer("threads", 1, 1, 1024)));
}

}  // namespace brain_tumor
