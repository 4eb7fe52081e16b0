// What the conv benchmarks share: the median time of a call, and the CPU's name.
#pragma once

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace glia::bench {

// Median milliseconds per call: a warm-up call (allocations, page faults), then `repeats`
// samples, each running the call often enough to take `min_seconds`.
template <class F>
double median_ms(F call, int repeats, double min_seconds) {
  call();
  using clock = std::chrono::steady_clock;
  int per_sample = 1;
  {
    const auto start = clock::now();
    call();
    const double once = std::chrono::duration<double>(clock::now() - start).count();
    if (once < min_seconds) per_sample = static_cast<int>(min_seconds / std::max(once, 1e-6)) + 1;
  }
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    const auto start = clock::now();
    for (int i = 0; i < per_sample; ++i) call();
    samples.push_back(std::chrono::duration<double>(clock::now() - start).count() * 1e3 /
                      per_sample);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

// Two calls timed in turn, A B A B ..., `repeats` samples each (as median_ms): their median
// milliseconds, and the median of the pairwise ratios A / B, which a drift in the machine's speed
// moves far less than the ratio of two separate medians.
struct Paired {
  double a_ms = 0, b_ms = 0, ratio = 0;
};
template <class A, class B>
Paired paired_median_ms(A call_a, B call_b, int repeats, double min_seconds) {
  using clock = std::chrono::steady_clock;
  const auto calls_per_sample = [&](auto& call) {
    call();
    const auto start = clock::now();
    call();
    const double once = std::chrono::duration<double>(clock::now() - start).count();
    return once < min_seconds ? static_cast<int>(min_seconds / std::max(once, 1e-6)) + 1 : 1;
  };
  const int per_a = calls_per_sample(call_a), per_b = calls_per_sample(call_b);
  const auto sample = [&](auto& call, int per) {
    const auto start = clock::now();
    for (int i = 0; i < per; ++i) call();
    return std::chrono::duration<double>(clock::now() - start).count() * 1e3 / per;
  };
  std::vector<double> a, b, ratios;
  for (int r = 0; r < repeats; ++r) {
    a.push_back(sample(call_a, per_a));
    b.push_back(sample(call_b, per_b));
    ratios.push_back(a.back() / b.back());
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  return {median(a), median(b), median(ratios)};
}

// /proc/cpuinfo's "model name", e.g. "AMD EPYC 9R14 96-Core Processor".
inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

}  // namespace glia::bench
