// Image fingerprints: grey conversion, area resampling, pHash, dHash and the NCC thumbnails.
#include "glia/vision/fingerprint.hpp"

#include <algorithm>
#include <bitset>
#include <cmath>

#include "glia/support/check.hpp"

namespace glia::vision {
namespace {

// One axis of an area resampling: output i is the mean of input [i * s, (i + 1) * s), s =
// in / out, as (input index, weight) pairs whose weights sum to 1.
struct Tap {
  int index;
  float weight;
};
std::vector<std::vector<Tap>> area_taps(int in, int out) {
  std::vector<std::vector<Tap>> taps(static_cast<size_t>(out));
  const double scale = static_cast<double>(in) / out;
  for (int i = 0; i < out; ++i) {
    const double lo = i * scale, hi = (i + 1) * scale;
    for (int j = static_cast<int>(std::floor(lo)); j < in && j < hi; ++j) {
      const double overlap = std::min<double>(hi, j + 1) - std::max<double>(lo, j);
      if (overlap > 1e-12) {
        taps[static_cast<size_t>(i)].push_back({j, static_cast<float>(overlap / scale)});
      }
    }
  }
  return taps;
}

// The 8 lowest rows of the orthonormal DCT-II matrix of size 32: c[k][i].
const std::array<std::array<double, 32>, 8>& dct_rows() {
  static const auto rows = [] {
    std::array<std::array<double, 32>, 8> c{};
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < 8; ++k) {
      const double a = k == 0 ? std::sqrt(1.0 / 32) : std::sqrt(2.0 / 32);
      for (int i = 0; i < 32; ++i) c[k][i] = a * std::cos(pi * (i + 0.5) * k / 32);
    }
    return c;
  }();
  return rows;
}

// The image (its longer side scaled to `side`) centred on a black size x size canvas.
std::vector<float> centred(const GreyImage& grey, double side, int size) {
  const double s = side / std::max(grey.width, grey.height);
  const int w = std::clamp(static_cast<int>(std::lround(grey.width * s)), 1, size);
  const int h = std::clamp(static_cast<int>(std::lround(grey.height * s)), 1, size);
  const GreyImage small = resize_area(grey, w, h);
  std::vector<float> canvas(static_cast<size_t>(size) * size, 0.0f);
  const int x0 = (size - w) / 2, y0 = (size - h) / 2;
  for (int y = 0; y < h; ++y) {
    std::copy_n(small.pixels.begin() + static_cast<long>(y) * w, w,
                canvas.begin() + static_cast<long>(y0 + y) * size + x0);
  }
  return canvas;
}

}  // namespace

const char* orientation_name(Orientation orientation) {
  switch (orientation) {
    case Orientation::identity:
      return "identity";
    case Orientation::mirrored:
      return "mirrored";
    case Orientation::flipped:
      return "flipped";
    case Orientation::half_turn:
      break;
  }
  return "half_turn";
}

GreyImage to_grey(const io::Image& image) {
  check_arg(
      image.width > 0 && image.height > 0 && image.channels > 0 &&
          image.pixels.size() == static_cast<size_t>(image.width) * image.height * image.channels,
      "vision::to_grey", "needs a non-empty image with every pixel set, got ", image.width, "x",
      image.height, "x", image.channels);
  GreyImage grey;
  grey.width = image.width;
  grey.height = image.height;
  grey.pixels.resize(static_cast<size_t>(image.width) * image.height);
  const int c = image.channels;
  for (size_t p = 0; p < grey.pixels.size(); ++p) {
    int sum = 0;
    for (int k = 0; k < c; ++k) sum += image.pixels[p * c + k];
    grey.pixels[p] = static_cast<float>(sum) / static_cast<float>(c);
  }
  return grey;
}

GreyImage resize_area(const GreyImage& image, int width, int height) {
  check_arg(width > 0 && height > 0 && image.width > 0 && image.height > 0, "vision::resize_area",
            "cannot resize ", image.width, "x", image.height, " to ", width, "x", height);
  const auto across = area_taps(image.width, width), down = area_taps(image.height, height);
  std::vector<float> rows(static_cast<size_t>(image.height) * width);  // resized across
  for (int y = 0; y < image.height; ++y) {
    const float* in = image.pixels.data() + static_cast<size_t>(y) * image.width;
    for (int x = 0; x < width; ++x) {
      float v = 0;
      for (const Tap& t : across[static_cast<size_t>(x)]) v += t.weight * in[t.index];
      rows[static_cast<size_t>(y) * width + x] = v;
    }
  }
  GreyImage out;
  out.width = width;
  out.height = height;
  out.pixels.assign(static_cast<size_t>(width) * height, 0.0f);
  for (int y = 0; y < height; ++y) {
    float* o = out.pixels.data() + static_cast<size_t>(y) * width;
    for (const Tap& t : down[static_cast<size_t>(y)]) {
      const float* in = rows.data() + static_cast<size_t>(t.index) * width;
      for (int x = 0; x < width; ++x) o[x] += t.weight * in[x];
    }
  }
  return out;
}

GreyImage oriented(const GreyImage& image, Orientation orientation) {
  const bool mirror = orientation == Orientation::mirrored || orientation == Orientation::half_turn;
  const bool flip = orientation == Orientation::flipped || orientation == Orientation::half_turn;
  GreyImage out = image;
  for (int y = 0; y < image.height; ++y) {
    const int sy = flip ? image.height - 1 - y : y;
    for (int x = 0; x < image.width; ++x) {
      const int sx = mirror ? image.width - 1 - x : x;
      out.pixels[static_cast<size_t>(y) * image.width + x] =
          image.pixels[static_cast<size_t>(sy) * image.width + sx];
    }
  }
  return out;
}

uint64_t perceptual_hash(const GreyImage& image) {
  const GreyImage small =
      image.width == 32 && image.height == 32 ? image : resize_area(image, 32, 32);
  const auto& c = dct_rows();
  // The low 8 x 8 block of C S C^T: first C S^T's rows (8 x 32), then the other side.
  double half[8][32] = {};
  for (int k = 0; k < 8; ++k)
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) half[k][x] += c[k][y] * small.pixels[y * 32 + x];
  double coef[64];
  for (int u = 0; u < 8; ++u)
    for (int v = 0; v < 8; ++v) {
      double s = 0;
      for (int x = 0; x < 32; ++x) s += half[u][x] * c[v][x];
      coef[u * 8 + v] = s;
    }
  double rest[63];
  std::copy(coef + 1, coef + 64, rest);
  std::nth_element(rest, rest + 31, rest + 63);
  const double median = rest[31];
  uint64_t hash = 0;
  for (int i = 0; i < 64; ++i) hash |= static_cast<uint64_t>(coef[i] >= median) << i;
  return hash;
}

uint64_t difference_hash(const GreyImage& image) {
  const GreyImage small = image.width == 9 && image.height == 8 ? image : resize_area(image, 9, 8);
  uint64_t hash = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      const bool brighter = small.pixels[y * 9 + x + 1] > small.pixels[y * 9 + x];
      hash |= static_cast<uint64_t>(brighter) << (y * 8 + x);
    }
  return hash;
}

int hamming_distance(uint64_t a, uint64_t b) {
  return static_cast<int>(std::bitset<64>(a ^ b).count());
}

Fingerprint fingerprint(const io::Image& image) {
  const GreyImage grey = to_grey(image);
  Fingerprint f;
  // Resize once, then orient the small images: an area resampling commutes with mirroring.
  const GreyImage p32 = resize_area(grey, 32, 32), d98 = resize_area(grey, 9, 8);
  for (int o = 0; o < 4; ++o) {
    const auto orientation = static_cast<Orientation>(o);
    f.phash[static_cast<size_t>(o)] = perceptual_hash(oriented(p32, orientation));
    f.dhash[static_cast<size_t>(o)] = difference_hash(oriented(d98, orientation));
  }
  for (float scale : kCanvasScales) {
    const std::vector<float> canvas = centred(grey, kThumbnailSize * scale, kCanvasSize);
    f.canvases.insert(f.canvases.end(), canvas.begin(), canvas.end());
  }
  // The thumbnail is the scale-1 canvas's central window, standardised.
  const size_t unit =
      std::find(kCanvasScales.begin(), kCanvasScales.end(), 1.0f) - kCanvasScales.begin();
  const float* canvas = f.canvases.data() + unit * kCanvasSize * kCanvasSize;
  f.thumbnail.resize(kThumbnailSize * kThumbnailSize);
  double sum = 0;
  for (int y = 0; y < kThumbnailSize; ++y)
    for (int x = 0; x < kThumbnailSize; ++x) {
      const float v = canvas[(y + kMaxShift) * kCanvasSize + x + kMaxShift];
      f.thumbnail[static_cast<size_t>(y) * kThumbnailSize + x] = v;
      sum += v;
    }
  const double mean = sum / static_cast<double>(f.thumbnail.size());
  double norm = 0;
  for (float& v : f.thumbnail) {
    v = static_cast<float>(v - mean);
    norm += static_cast<double>(v) * v;
  }
  norm = std::sqrt(norm);
  for (float& v : f.thumbnail) v = norm > 1e-6 ? static_cast<float>(v / norm) : 0.0f;
  return f;
}

}  // namespace glia::vision
