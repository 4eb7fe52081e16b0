#include "glia/metrics/bootstrap.hpp"

#include <algorithm>
#include <cmath>

#include "glia/support/check.hpp"
#include "glia/tensor/rng.hpp"

namespace glia::metrics {

Interval bootstrap_interval(size_t n, const std::function<double(const std::vector<size_t>&)>& statistic,
                            int resamples, uint64_t seed, double level) {
  check_arg(n > 0, "bootstrap_interval", "needs at least one item");
  check_arg(resamples >= 10, "bootstrap_interval", "needs at least 10 resamples, got ", resamples);
  check_arg(level > 0.0 && level < 1.0, "bootstrap_interval", "level must be in (0, 1), got ",
            level);
  Rng rng(seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(resamples));
  std::vector<size_t> sample(n);
  for (int r = 0; r < resamples; ++r) {
    for (size_t& i : sample) i = static_cast<size_t>(rng.below(n));
    values.push_back(statistic(sample));
  }
  std::sort(values.begin(), values.end());
  // Linear interpolation between order statistics, as numpy.percentile's default.
  auto quantile = [&](double q) {
    const double position = q * static_cast<double>(values.size() - 1);
    const size_t below = static_cast<size_t>(std::floor(position));
    const size_t above = std::min(values.size() - 1, below + 1);
    const double t = position - static_cast<double>(below);
    return values[below] * (1.0 - t) + values[above] * t;
  };
  return {quantile((1.0 - level) / 2.0), quantile((1.0 + level) / 2.0)};
}

}  // namespace glia::metrics
