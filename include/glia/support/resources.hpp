/// @file
/// What a process has used so far: the peak of its resident memory, and a stopwatch.
#pragma once

#include <sys/resource.h>

#include <chrono>

namespace glia {

/// The process's peak resident memory so far, in MB (getrusage's ru_maxrss).
inline double peak_memory_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// Seconds since construction, on the steady clock.
class Stopwatch {
 public:
  /// The seconds elapsed.
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace glia
