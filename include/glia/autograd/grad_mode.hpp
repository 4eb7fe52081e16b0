/// @file
/// Grad mode: whether ops record themselves on the tape (per thread, on by default).
#pragma once

namespace glia {

/// Whether ops record the autograd graph on this thread (on by default); NoGradGuard switches
/// it off for a scope.
class GradMode {
 public:
  ///@{
  /// Read or set this thread's flag.
  static bool enabled() { return flag(); }
  static void set_enabled(bool on) { flag() = on; }
  ///@}

 private:
  static bool& flag() {
    thread_local bool enabled = true;
    return enabled;
  }
};

/// Turns recording off for its scope, for inference: no graph, no saved activations.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace glia
