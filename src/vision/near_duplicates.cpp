// Near-duplicate search over all pairs of fingerprints, and grouping by union-find.
//
// Cost for n images: the hashes are n^2 / 2 pairs x 4 orientations x 2 popcounts; the plain
// NCC is one GEMM of the thumbnails {n, 1024} with the oriented thumbnails {4n, 1024}, done
// in blocks of kBlock rows so that the products stay in cache; the aligned NCC, 2 x 3 x 49
// dot products of 1024 values, runs only for candidate pairs without a hash match.
#include "glia/vision/near_duplicates.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "glia/support/check.hpp"
#include "glia/support/parallel.hpp"
#include "glia/support/union_find.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia::vision {
namespace {

constexpr int kT = kThumbnailSize, kC = kCanvasSize, kWindows = 2 * kMaxShift + 1;
constexpr size_t kThumbValues = kT * kT, kCanvasValues = kC * kC;
constexpr size_t kScales = kCanvasScales.size();
constexpr int64_t kBlock = 32;  // rows of the plain-NCC product per step

// A square of `size` x `size` values seen in `orientation`.
void orient_square(const float* in, int size, Orientation orientation, float* out) {
  const bool mirror = orientation == Orientation::mirrored || orientation == Orientation::half_turn;
  const bool flip = orientation == Orientation::flipped || orientation == Orientation::half_turn;
  for (int y = 0; y < size; ++y) {
    const int sy = flip ? size - 1 - y : y;
    for (int x = 0; x < size; ++x) out[y * size + x] = in[sy * size + (mirror ? size - 1 - x : x)];
  }
}

// The highest NCC of template t (kT x kT, mean 0, norm 1) with a kT x kT window of one of the
// canvases, over every shift of up to kMaxShift pixels.
float best_window_ncc(const float* t, const float* canvases) {
  float best = -1.0f;
  constexpr double n = static_cast<double>(kThumbValues);
  for (size_t s = 0; s < kScales; ++s) {
    const float* c = canvases + s * kCanvasValues;
    // Sums of each window's values and squares, from summed-area tables.
    double sum[kC + 1][kC + 1] = {}, sq[kC + 1][kC + 1] = {};
    for (int y = 0; y < kC; ++y)
      for (int x = 0; x < kC; ++x) {
        const double v = c[y * kC + x];
        sum[y + 1][x + 1] = v + sum[y][x + 1] + sum[y + 1][x] - sum[y][x];
        sq[y + 1][x + 1] = v * v + sq[y][x + 1] + sq[y + 1][x] - sq[y][x];
      }
    for (int dy = 0; dy < kWindows; ++dy) {
      // Per shift dx, kLanes partial sums that the compiler keeps in vector registers; each
      // template row is two runs of kLanes values.
      constexpr int kLanes = kT / 2;
      float partial[kWindows][kLanes] = {};
      for (int r = 0; r < kT; ++r) {
        const float* tr = t + r * kT;
        const float* cr = c + (dy + r) * kC;
        for (int dx = 0; dx < kWindows; ++dx) {
          for (int l = 0; l < kLanes; ++l) {
            partial[dx][l] += tr[l] * cr[dx + l] + tr[kLanes + l] * cr[dx + kLanes + l];
          }
        }
      }
      float dots[kWindows];
      for (int dx = 0; dx < kWindows; ++dx) {
        float d = 0;
        for (int l = 0; l < kLanes; ++l) d += partial[dx][l];
        dots[dx] = d;
      }
      for (int dx = 0; dx < kWindows; ++dx) {
        const int y1 = dy + kT, x1 = dx + kT;
        const double s1 = sum[y1][x1] - sum[dy][x1] - sum[y1][dx] + sum[dy][dx];
        const double s2 = sq[y1][x1] - sq[dy][x1] - sq[y1][dx] + sq[dy][dx];
        const double spread = s2 - s1 * s1 / n;
        if (spread <= 1e-6) continue;  // a flat window correlates with nothing
        best = std::max(best, static_cast<float>(dots[dx] / std::sqrt(spread)));
      }
    }
  }
  return best;
}

void check_options(const NearDuplicateOptions& o) {
  check_arg(o.phash <= 64 && o.dhash <= 64 && o.joint_phash <= 64 && o.joint_dhash <= 64,
            "find_near_duplicates", "Hamming thresholds must be at most 64 (negative: off)");
  check_arg(std::isfinite(o.ncc) && std::isfinite(o.ncc_candidates) && o.ncc_candidates <= 1.0,
            "find_near_duplicates", "ncc ", o.ncc, " and ncc_candidates ", o.ncc_candidates,
            " must be finite, ncc_candidates at most 1");
}

void check_prints(const std::vector<Fingerprint>& prints) {
  for (size_t i = 0; i < prints.size(); ++i) {
    check_arg(prints[i].thumbnail.size() == kThumbValues &&
                  prints[i].canvases.size() == kScales * kCanvasValues,
              "find_near_duplicates", "fingerprint ", i,
              " is malformed (make it with vision::fingerprint)");
  }
}

// The match of images a < b, if any rule holds. `plain` holds the four plain NCCs of a with b's
// orientations; `oriented_b` b's four oriented thumbnails.
bool match_pair(const Fingerprint& fa, const Fingerprint& fb, int a, int b, const float* plain,
                const float* oriented_b, const NearDuplicateOptions& o, std::vector<float>& scratch,
                Match& m) {
  const int orientations = o.flips ? 4 : 1;
  m.a = a;
  m.b = b;
  for (int k = 0; k < orientations; ++k) {
    const int ph = hamming_distance(fa.phash[0], fb.phash[static_cast<size_t>(k)]);
    const int dh = hamming_distance(fa.dhash[0], fb.dhash[static_cast<size_t>(k)]);
    Rule rule;
    if (ph <= o.phash) {
      rule = Rule::phash;
    } else if (dh <= o.dhash) {
      rule = Rule::dhash;
    } else if (ph <= o.joint_phash && dh <= o.joint_dhash) {
      rule = Rule::hashes;
    } else {
      continue;
    }
    m.rule = rule;
    m.orientation = static_cast<Orientation>(k);
    m.phash_distance = ph;
    m.dhash_distance = dh;
    m.plain_ncc = plain[k];
    m.aligned_ncc = -1.0f;
    return true;
  }
  if (o.ncc > 1.0) return false;
  const int k = static_cast<int>(std::max_element(plain, plain + orientations) - plain);
  if (plain[k] < o.ncc_candidates) return false;
  // Both ways round: a's thumbnail in b's canvases (b in orientation k), and b's in a's.
  const auto orientation = static_cast<Orientation>(k);
  scratch.resize(kScales * kCanvasValues);
  for (size_t s = 0; s < kScales; ++s) {
    orient_square(fb.canvases.data() + s * kCanvasValues, kC, orientation,
                  scratch.data() + s * kCanvasValues);
  }
  const float aligned = std::max(
      best_window_ncc(fa.thumbnail.data(), scratch.data()),
      best_window_ncc(oriented_b + static_cast<size_t>(k) * kThumbValues, fa.canvases.data()));
  if (aligned < o.ncc) return false;
  m.rule = Rule::ncc;
  m.orientation = orientation;
  m.phash_distance = hamming_distance(fa.phash[0], fb.phash[static_cast<size_t>(k)]);
  m.dhash_distance = hamming_distance(fa.dhash[0], fb.dhash[static_cast<size_t>(k)]);
  m.plain_ncc = plain[k];
  m.aligned_ncc = aligned;
  return true;
}

}  // namespace

const char* rule_name(Rule rule) {
  switch (rule) {
    case Rule::phash:
      return "phash";
    case Rule::dhash:
      return "dhash";
    case Rule::hashes:
      return "hashes";
    case Rule::ncc:
      break;
  }
  return "ncc";
}

std::string Match::evidence() const {
  char text[96];
  switch (rule) {
    case Rule::phash:
      std::snprintf(text, sizeof(text), "phash %d", phash_distance);
      break;
    case Rule::dhash:
      std::snprintf(text, sizeof(text), "dhash %d", dhash_distance);
      break;
    case Rule::hashes:
      std::snprintf(text, sizeof(text), "phash %d + dhash %d", phash_distance, dhash_distance);
      break;
    case Rule::ncc:
      std::snprintf(text, sizeof(text), "ncc %.3f", static_cast<double>(aligned_ncc));
      break;
  }
  std::string out = text;
  if (orientation != Orientation::identity)
    out += std::string(" (") + orientation_name(orientation) + ")";
  return out;
}

std::vector<Match> find_near_duplicates(const std::vector<Fingerprint>& prints,
                                        const NearDuplicateOptions& options) {
  check_options(options);
  check_prints(prints);
  const int64_t n = static_cast<int64_t>(prints.size());
  if (n < 2) return {};
  // Every image's four oriented thumbnails, one row each: row 4 i + k.
  RowMatrix oriented(4 * n, static_cast<int64_t>(kThumbValues));
  RowMatrix thumbs(n, static_cast<int64_t>(kThumbValues));
  parallel_for(n, [&](int64_t i) {
    const float* t = prints[static_cast<size_t>(i)].thumbnail.data();
    std::copy(t, t + kThumbValues, thumbs.row(i).data());
    for (int k = 0; k < 4; ++k) {
      orient_square(t, kT, static_cast<Orientation>(k), oriented.row(4 * i + k).data());
    }
  });
  // Blocks of kBlock rows, dealt out first and last together so that every work item has
  // about the same number of pairs (block r pairs with all later rows).
  const int64_t blocks = (n + kBlock - 1) / kBlock, items = (blocks + 1) / 2;
  std::vector<std::vector<Match>> found(static_cast<size_t>(blocks));
  parallel_for(items, [&](int64_t item) {
    std::vector<float> scratch;
    RowMatrix plain;
    const int64_t last = blocks - 1 - item;
    for (int64_t block = item; block <= last; block += std::max<int64_t>(1, last - item)) {
      const int64_t a0 = block * kBlock, a1 = std::min(n, a0 + kBlock);
      // plain(i, 4 j' + k): image a0 + i against the later images' oriented thumbnails.
      plain.noalias() =
          thumbs.middleRows(a0, a1 - a0) * oriented.middleRows(4 * a0, 4 * (n - a0)).transpose();
      std::vector<Match>& out = found[static_cast<size_t>(block)];
      for (int64_t a = a0; a < a1; ++a) {
        for (int64_t b = a + 1; b < n; ++b) {
          Match m;
          if (match_pair(prints[static_cast<size_t>(a)], prints[static_cast<size_t>(b)],
                         static_cast<int>(a), static_cast<int>(b),
                         plain.row(a - a0).data() + 4 * (b - a0), oriented.row(4 * b).data(),
                         options, scratch, m)) {
            out.push_back(m);
          }
        }
      }
    }
  });
  std::vector<Match> all;
  for (const std::vector<Match>& f : found) all.insert(all.end(), f.begin(), f.end());
  return all;  // blocks in order, pairs in order within each: sorted by (a, b)
}

Groups group_matches(size_t n, const std::vector<Match>& matches) {
  for (const Match& m : matches) {
    check_arg(m.a >= 0 && m.b >= 0 && static_cast<size_t>(m.a) < n && static_cast<size_t>(m.b) < n,
              "group_matches", "match (", m.a, ", ", m.b, ") is out of range for ", n, " images");
  }
  std::vector<Match> order = matches;
  std::stable_sort(order.begin(), order.end(), [](const Match& x, const Match& y) {
    if (x.phash_distance != y.phash_distance) return x.phash_distance < y.phash_distance;
    return std::max(x.aligned_ncc, x.plain_ncc) > std::max(y.aligned_ncc, y.plain_ncc);
  });
  UnionFind sets(n);
  Groups g;
  for (const Match& m : order) {
    if (sets.unite(m.a, m.b)) g.merges.push_back(m);
  }
  g.of.resize(n);
  for (size_t i = 0; i < n; ++i) {
    g.of[i] = sets.find(static_cast<int>(i));
    if (g.of[i] == static_cast<int>(i)) ++g.count;
  }
  return g;
}

}  // namespace glia::vision
