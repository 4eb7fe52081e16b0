// Keras-like progress output: a bar with ETA redrawn in place on a terminal, nothing but the
// per-epoch summary line otherwise (logs stay readable).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace brain_tumor {

class ProgressBar {
 public:
  ProgressBar(size_t total, bool interactive)
      : total_(total), interactive_(interactive), start_(std::chrono::steady_clock::now()) {}

  void update(size_t done, double loss, double accuracy) {
    if (!interactive_ || total_ == 0) return;
    const double elapsed = seconds();
    const double eta =
        done ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - done) : 0.0;
    const int width = 30, filled = static_cast<int>(width * done / total_);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < width) bar += '>';
    bar.resize(width, '.');
    std::printf("\r%zu/%zu [%s] - ETA: %.0fs - loss: %.4f - acc: %.4f ", done, total_, bar.c_str(),
                eta, loss, accuracy);
    std::fflush(stdout);
  }

  // Replaces the bar with the epoch's summary line.
  void finish(const std::string& line) {
    if (interactive_) std::printf("\r\033[K");
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  size_t total_;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace brain_tumor
