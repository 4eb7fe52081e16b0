/// @file
/// Bootstrap confidence intervals (Efron's percentile method): the statistic of `resamples`
/// samples drawn with replacement from n items, and the (1 - level) / 2 and (1 + level) / 2
/// quantiles of its values. Seeded, so an interval is reproducible.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace glia::metrics {

/// A confidence interval.
struct Interval {
  ///@{
  /// its ends
  double low = 0, high = 0;
  ///@}
};

/// `statistic` receives the indices of one resample (n of them, drawn from [0, n)).
Interval bootstrap_interval(size_t n, const std::function<double(const std::vector<size_t>&)>& statistic,
                            int resamples = 2000, uint64_t seed = 1, double level = 0.95);

}  // namespace glia::metrics
