/// @file
/// Argument checking: the one way glia reports bad arguments.
/// Every failure is a std::invalid_argument whose message starts with the op's name.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace glia {

/// Joins any streamable parts into one string.
template <class... Parts>
std::string concat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

/// Throws std::invalid_argument("glia::<op>: <parts...>") unless `condition` holds.
template <class... Parts>
void check_arg(bool condition, const char* op, Parts&&... parts) {
  if (!condition) {
    throw std::invalid_argument(concat("glia::", op, ": ", std::forward<Parts>(parts)...));
  }
}

}  // namespace glia
