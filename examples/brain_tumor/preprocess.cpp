#include "preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace brain_tumor {
namespace {

int reflect101(int i, int n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

// 3x3 min (erode) or max (dilate) filter, ignoring pixels outside the image.
template <class Pick>
Image filter3x3(const Image& in, int iterations, Pick pick) {
  Image cur = in, next = in;
  for (int it = 0; it < iterations; ++it) {
    for (int y = 0; y < cur.height; ++y) {
      for (int x = 0; x < cur.width; ++x) {
        uint8_t v = cur.at(y, x, 0);
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < cur.height && xx >= 0 && xx < cur.width) {
              v = pick(v, cur.at(yy, xx, 0));
            }
          }
        }
        next.at(y, x, 0) = v;
      }
    }
    std::swap(cur, next);
  }
  return cur;
}

// Moore-neighbour tracing of the outer border of the component whose first pixel in raster
// order is (y0, x0); returns the border's polygon area (shoelace over pixel centres), which is
// what cv2.contourArea gives for the contour cv2.findContours traces.
double outer_contour_area(const std::vector<uint8_t>& fg, int w, int h, int y0, int x0) {
  // Clockwise in image coordinates, starting east.
  static const int dy[8] = {0, 1, 1, 1, 0, -1, -1, -1};
  static const int dx[8] = {1, 1, 0, -1, -1, -1, 0, 1};
  auto is_fg = [&](int y, int x) {
    return y >= 0 && y < h && x >= 0 && x < w && fg[static_cast<size_t>(y) * w + x];
  };
  auto direction_of = [&](int from_y, int from_x, int to_y, int to_x) {
    for (int d = 0; d < 8; ++d) {
      if (from_y + dy[d] == to_y && from_x + dx[d] == to_x) return d;
    }
    return 4;
  };
  // The first pixel in raster order has background to its west: start the search from there.
  int py = y0, px = x0, by = y0, bx = x0 - 1;
  const int start_by = by, start_bx = bx;
  double twice_area = 0.0;
  const long max_steps = 4L * w * h + 8;
  for (long step = 0; step < max_steps; ++step) {
    const int back = direction_of(py, px, by, bx);
    int found = -1;
    for (int i = 1; i <= 8; ++i) {
      const int d = (back + i) % 8;
      if (is_fg(py + dy[d], px + dx[d])) {
        found = d;
        break;
      }
    }
    if (found < 0) return 0.0;  // a single pixel
    const int prev = (found + 7) % 8;
    by = py + dy[prev];
    bx = px + dx[prev];
    const int ny = py + dy[found], nx = px + dx[found];
    twice_area += static_cast<double>(px) * ny - static_cast<double>(nx) * py;
    py = ny;
    px = nx;
    // Jacob's criterion: back at the start, entered the same way as at first.
    if (py == y0 && px == x0 &&
        direction_of(py, px, by, bx) == direction_of(y0, x0, start_by, start_bx)) {
      break;
    }
  }
  return std::fabs(twice_area) / 2.0;
}

}  // namespace

Image swap_red_blue(Image image) {
  if (image.channels != 3) return image;
  for (size_t i = 0; i < image.pixels.size(); i += 3)
    std::swap(image.pixels[i], image.pixels[i + 2]);
  return image;
}

Image to_gray(const Image& bgr) {
  if (bgr.channels == 1) return bgr;
  if (bgr.channels < 3) throw std::invalid_argument("to_gray: expects 1, 3 or 4 channels");
  Image gray(bgr.width, bgr.height, 1);
  for (int y = 0; y < bgr.height; ++y) {
    for (int x = 0; x < bgr.width; ++x) {
      const int b = bgr.at(y, x, 0), g = bgr.at(y, x, 1), r = bgr.at(y, x, 2);
      gray.at(y, x, 0) = static_cast<uint8_t>((b * 3735 + g * 19235 + r * 9798 + 16384) >> 15);
    }
  }
  return gray;
}

Image gaussian_blur5(const Image& gray) {
  static const int k[5] = {1, 4, 6, 4, 1};
  const int w = gray.width, h = gray.height;
  std::vector<int> rows(static_cast<size_t>(w) * h);  // horizontal pass, scaled by 16
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int s = 0;
      for (int i = 0; i < 5; ++i) s += k[i] * gray.at(y, reflect101(x + i - 2, w), 0);
      rows[static_cast<size_t>(y) * w + x] = s;
    }
  }
  Image out(w, h, 1);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      int s = 0;
      for (int i = 0; i < 5; ++i)
        s += k[i] * rows[static_cast<size_t>(reflect101(y + i - 2, h)) * w + x];
      out.at(y, x, 0) = static_cast<uint8_t>((s + 128) >> 8);
    }
  }
  return out;
}

Image threshold_binary(const Image& gray, int threshold) {
  Image out(gray.width, gray.height, 1);
  for (size_t i = 0; i < out.pixels.size(); ++i)
    out.pixels[i] = gray.pixels[i] > threshold ? 255 : 0;
  return out;
}

Image erode3x3(const Image& binary, int iterations) {
  return filter3x3(binary, iterations, [](uint8_t a, uint8_t b) { return std::min(a, b); });
}

Image dilate3x3(const Image& binary, int iterations) {
  return filter3x3(binary, iterations, [](uint8_t a, uint8_t b) { return std::max(a, b); });
}

std::optional<Box> largest_contour_box(const Image& binary) {
  const int w = binary.width, h = binary.height;
  std::vector<uint8_t> fg(binary.pixels.size());
  for (size_t i = 0; i < fg.size(); ++i) fg[i] = binary.pixels[i] != 0;
  std::vector<uint8_t> seen(fg.size(), 0);
  std::vector<int> queue;
  std::optional<Box> best;
  double best_area = -1.0;
  for (int y0 = 0; y0 < h; ++y0) {
    for (int x0 = 0; x0 < w; ++x0) {
      const size_t i0 = static_cast<size_t>(y0) * w + x0;
      if (!fg[i0] || seen[i0]) continue;
      // Flood the 8-connected component to find its extreme points.
      Box box{x0, y0, x0, y0};
      queue.assign(1, static_cast<int>(i0));
      seen[i0] = 1;
      for (size_t q = 0; q < queue.size(); ++q) {
        const int y = queue[q] / w, x = queue[q] % w;
        box.left = std::min(box.left, x);
        box.right = std::max(box.right, x);
        box.top = std::min(box.top, y);
        box.bottom = std::max(box.bottom, y);
        for (int ddy = -1; ddy <= 1; ++ddy) {
          for (int ddx = -1; ddx <= 1; ++ddx) {
            const int yy = y + ddy, xx = x + ddx;
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
            const size_t j = static_cast<size_t>(yy) * w + xx;
            if (fg[j] && !seen[j]) {
              seen[j] = 1;
              queue.push_back(static_cast<int>(j));
            }
          }
        }
      }
      const double area = outer_contour_area(fg, w, h, y0, x0);
      if (area > best_area) {  // first of equal areas wins, like Python's max()
        best_area = area;
        best = box;  // right and bottom are the extreme points themselves (exclusive bounds)
      }
    }
  }
  if (!best || best->width() <= 0 || best->height() <= 0) return std::nullopt;
  return best;
}

Image crop(const Image& image, const Box& box) {
  Image out(box.width(), box.height(), image.channels);
  const size_t row = static_cast<size_t>(box.width()) * image.channels;
  for (int y = 0; y < box.height(); ++y) {
    std::copy_n(
        &image.pixels[(static_cast<size_t>(box.top + y) * image.width + box.left) * image.channels],
        row, &out.pixels[static_cast<size_t>(y) * row]);
  }
  return out;
}

CropResult crop_brain_contour(const Image& bgr) {
  Image mask = threshold_binary(gaussian_blur5(to_gray(bgr)), 45);
  mask = dilate3x3(erode3x3(mask, 2), 2);
  const std::optional<Box> box = largest_contour_box(mask);
  if (!box) return {bgr, false, Box{0, 0, bgr.width, bgr.height}};
  return {crop(bgr, *box), true, *box};
}

Image resize_bicubic(const Image& image, int width, int height) {
  if (image.width < 1 || image.height < 1 || width < 1 || height < 1) {
    throw std::invalid_argument("resize_bicubic: empty source or target");
  }
  constexpr int kScale = 2048;  // INTER_RESIZE_COEF_SCALE
  struct Tap {
    int index[4];
    int weight[4];
  };
  // Source indices and fixed-point weights for each output coordinate along one axis.
  auto taps_for = [](int out_size, int in_size) {
    std::vector<Tap> taps(static_cast<size_t>(out_size));
    const double scale = static_cast<double>(in_size) / out_size;
    for (int o = 0; o < out_size; ++o) {
      float f = static_cast<float>((o + 0.5) * scale - 0.5);
      const int s = static_cast<int>(std::floor(f));
      f -= static_cast<float>(s);
      const float a = -0.75f;
      float c[4];
      c[0] = ((a * (f + 1) - 5 * a) * (f + 1) + 8 * a) * (f + 1) - 4 * a;
      c[1] = ((a + 2) * f - (a + 3)) * f * f + 1;
      c[2] = ((a + 2) * (1 - f) - (a + 3)) * (1 - f) * (1 - f) + 1;
      c[3] = 1.0f - c[0] - c[1] - c[2];
      for (int k = 0; k < 4; ++k) {
        taps[static_cast<size_t>(o)].index[k] = std::clamp(s - 1 + k, 0, in_size - 1);
        taps[static_cast<size_t>(o)].weight[k] = static_cast<int>(std::lrint(c[k] * kScale));
      }
    }
    return taps;
  };
  const std::vector<Tap> xt = taps_for(width, image.width), yt = taps_for(height, image.height);
  const int ch = image.channels;
  // Horizontal pass on every source row (integers, scaled by 2048), then vertical.
  std::vector<int64_t> rows(static_cast<size_t>(image.height) * width * ch);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Tap& t = xt[static_cast<size_t>(x)];
      for (int c = 0; c < ch; ++c) {
        int64_t s = 0;
        for (int k = 0; k < 4; ++k) s += int64_t{t.weight[k]} * image.at(y, t.index[k], c);
        rows[(static_cast<size_t>(y) * width + x) * ch + c] = s;
      }
    }
  }
  Image out(width, height, ch);
  for (int y = 0; y < height; ++y) {
    const Tap& t = yt[static_cast<size_t>(y)];
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < ch; ++c) {
        int64_t s = 0;
        for (int k = 0; k < 4; ++k) {
          s += int64_t{t.weight[k]} * rows[(static_cast<size_t>(t.index[k]) * width + x) * ch + c];
        }
        const int64_t v = (s + (int64_t{1} << 21)) >> 22;
        out.at(y, x, c) = static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
      }
    }
  }
  return out;
}

}  // namespace brain_tumor
