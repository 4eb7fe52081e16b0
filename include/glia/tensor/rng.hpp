/// @file
/// Rng: a small, seeded, portable random generator (xoshiro256** seeded through splitmix64).
/// Written out rather than taken from `<random>` so that a seed gives the same numbers with any
/// standard library: training runs are reproducible across compilers, not only across runs.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

namespace glia {

/// The seeded generator of glia (see the file's description).
class Rng {
 public:
  /// A generator seeded with `seed`.
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  /// Restarts the stream from `seed`.
  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& word : state_) word = splitmix64(x);
  }

  /// The next 64 random bits.
  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 24 random bits: every value is an exact float.
  float uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  /// Uniform in [low, high).
  float uniform(float low, float high) { return low + (high - low) * uniform(); }

  /// Uniform integer in [0, n), n > 0, without modulo bias (rejects the short last block).
  uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t r = next_u64();
      if (r >= threshold) return r % n;
    }
  }

  /// Standard normal by Box-Muller (one draw per call, so the stream position is simple).
  float normal() {
    const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
    return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
  }
  /// Normal with this mean and standard deviation.
  float normal(float mean, float stddev) { return mean + stddev * normal(); }

  /// Fisher-Yates: the one shuffle of glia (data loaders and splits use it), so a seed gives
  /// the same permutation everywhere.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  /// The generator's whole state, to save and restore it (resuming a run exactly).
  std::array<uint64_t, 4> state() const { return {state_[0], state_[1], state_[2], state_[3]}; }
  /// Restores a state() (the stream continues where it was saved).
  void set_state(const std::array<uint64_t, 4>& s) {
    for (size_t i = 0; i < 4; ++i) state_[i] = s[i];
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

/// The generator layers use for their initial weights when none is given; glia::manual_seed
/// reseeds it (like torch.manual_seed). Not shared between threads.
inline Rng& default_rng() {
  static Rng rng(0);
  return rng;
}
/// Reseeds default_rng().
inline void manual_seed(uint64_t seed) {
  default_rng().reseed(seed);
}

}  // namespace glia
