// brain_tumor's duplicate-scan detection measured, as imagededup evaluates a method against a
// ground-truth mapping: scans of the built-in synthetic set and, when the real data set is
// present, real scans are each copied through one transform at a time (JPEG re-encoding, a
// resize, a crop, a drawn line or arrow, brightness, contrast, a mirror image), every copy and
// original goes through the example's brain crop and fingerprint, and the detector is run on
// all of them at once with its default thresholds. The table it prints (docs/brain_tumor.md
// quotes it) gives, per transform, the recall (the copies matched to their original) and the
// precision (the matches involving such a copy that are right); a match between two different
// scans is a false positive wherever it falls. Also: groups.tsv round trips, the grouped split
// keeps linked scans together, and bad groups files are named.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <set>

#include <unistd.h>

#include <glia/io/atomic_file.hpp>
#include <glia/support/parallel.hpp>

#include "dataset.hpp"
#include "duplicates.hpp"
#include "preprocess.hpp"
#include "synthetic.hpp"

using namespace brain_tumor;
namespace fs = std::filesystem;

namespace {

const fs::path kRealData = fs::path(GLIA_SOURCE_DIR) / ".." / "shared" / "data" / "brain_mri";
const fs::path kReviewed =
    fs::path(GLIA_SOURCE_DIR) / "examples" / "brain_tumor" / "brain_mri_groups.tsv";

Image resized(const Image& image, double f) {
  return resize_bicubic(image, std::max(8, static_cast<int>(std::lround(image.width * f))),
                        std::max(8, static_cast<int>(std::lround(image.height * f))));
}

Image cropped(const Image& image, double left, double top, double right, double bottom) {
  Box b;
  b.left = static_cast<int>(image.width * left);
  b.top = static_cast<int>(image.height * top);
  b.right = image.width - static_cast<int>(image.width * right);
  b.bottom = image.height - static_cast<int>(image.height * bottom);
  return crop(image, b);
}

// A white stroke from (x0, y0) to (x1, y1), in fractions of the image, `width` pixels wide.
void stroke(Image& image, double x0, double y0, double x1, double y1, int width) {
  const double ax = x0 * image.width, ay = y0 * image.height;
  const double bx = x1 * image.width, by = y1 * image.height;
  const int steps = static_cast<int>(std::hypot(bx - ax, by - ay)) * 2 + 1;
  for (int s = 0; s <= steps; ++s) {
    const double t = static_cast<double>(s) / steps;
    const int cx = static_cast<int>(ax + t * (bx - ax)), cy = static_cast<int>(ay + t * (by - ay));
    for (int dy = -width / 2; dy <= width / 2; ++dy)
      for (int dx = -width / 2; dx <= width / 2; ++dx) {
        const int x = cx + dx, y = cy + dy;
        if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
        for (int c = 0; c < image.channels; ++c) image.at(y, x, c) = 255;
      }
  }
}

Image with_line(Image image) {
  stroke(image, 0.15, 0.35, 0.85, 0.6, std::max(2, image.width / 90));
  return image;
}

// An annotation arrow pointing into the brain, as the data set's marked scans have.
Image with_arrow(Image image) {
  const int w = std::max(2, image.width / 80);
  stroke(image, 0.78, 0.22, 0.55, 0.45, w);
  stroke(image, 0.55, 0.45, 0.64, 0.44, w);
  stroke(image, 0.55, 0.45, 0.56, 0.36, w);
  return image;
}

Image pointwise(Image image, double gain, double offset) {
  for (uint8_t& p : image.pixels)
    p = static_cast<uint8_t>(std::clamp(std::lround(p * gain + offset), 0L, 255L));
  return image;
}

Image mirrored(const Image& in) {
  Image out = in;
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(y, x, c) = in.at(y, in.width - 1 - x, c);
  return out;
}

Image reencoded(const Image& bgr, int quality) {
  return glia::io::decode_image(glia::io::encode_jpeg(bgr, quality), "copy", 3);
}

struct Transform {
  std::string name;
  std::function<Image(const Image&)> apply;
};

std::vector<Transform> transforms() {
  return {
      {"jpeg q30", [](const Image& i) { return reencoded(i, 30); }},
      {"jpeg q50", [](const Image& i) { return reencoded(i, 50); }},
      {"jpeg q75", [](const Image& i) { return reencoded(i, 75); }},
      {"jpeg q95", [](const Image& i) { return reencoded(i, 95); }},
      {"resize 0.5x", [](const Image& i) { return resized(i, 0.5); }},
      {"resize 0.75x", [](const Image& i) { return resized(i, 0.75); }},
      {"resize 1.5x", [](const Image& i) { return resized(i, 1.5); }},
      {"resize 2x", [](const Image& i) { return resized(i, 2.0); }},
      {"crop 5% (left, top)", [](const Image& i) { return cropped(i, 0.05, 0.05, 0, 0); }},
      {"crop 10% (all sides)", [](const Image& i) { return cropped(i, 0.05, 0.05, 0.05, 0.05); }},
      {"crop 10% (one side)", [](const Image& i) { return cropped(i, 0.1, 0, 0, 0); }},
      {"line drawn", with_line},
      {"arrow drawn", with_arrow},
      {"brighter +40", [](const Image& i) { return pointwise(i, 1.0, 40); }},
      {"darker -40", [](const Image& i) { return pointwise(i, 1.0, -40); }},
      {"contrast x0.6", [](const Image& i) { return pointwise(i, 0.6, 51); }},
      {"contrast x1.4", [](const Image& i) { return pointwise(i, 1.4, -51); }},
      {"mirror image", mirrored},
  };
}

// Originals of the real data set that no reviewed group holds: distinct scans by review.
std::vector<std::string> distinct_real_scans(size_t count) {
  std::set<std::string> grouped;
  std::ifstream in(kReviewed);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("group\t", 0) == 0) continue;
    const size_t tab = line.find('\t'), next = line.find('\t', tab + 1);
    grouped.insert(line.substr(tab + 1, next - tab - 1));
  }
  std::vector<std::string> chosen;
  const std::vector<ImageRef> all = list_class_folders(kRealData.string());
  for (size_t i = 0; i < all.size() && chosen.size() < count; i += 7) {
    if (!grouped.count(all[i].relative)) chosen.push_back(all[i].path);
  }
  return chosen;
}

struct Score {
  int positives = 0, found = 0, matches = 0, right = 0;
};

}  // namespace

TEST_CASE("duplicates: precision and recall per transform, synthetic and real scans",
          "[duplicates][benchmark]") {
  std::vector<Image> bases;
  const SyntheticSet synthetic = make_synthetic_set(20, 77);  // 40 scans
  bases = synthetic.images;
  size_t real = 0;
  if (fs::is_directory(kRealData)) {
    for (const std::string& path : distinct_real_scans(24)) {
      bases.push_back(read_bgr(path));
      ++real;
    }
  }
  const std::vector<Transform> ts = transforms();
  // Item k: base k / (T + 1), transform k % (T + 1) - 1 (-1: the base itself).
  const size_t per = ts.size() + 1, n = bases.size() * per;
  std::vector<Prepared> items(n);
  glia::parallel_for(static_cast<int64_t>(n), [&](int64_t k) {
    const size_t base = static_cast<size_t>(k) / per, t = static_cast<size_t>(k) % per;
    const Image image = t == 0 ? bases[base] : ts[t - 1].apply(bases[base]);
    ImageRef ref;
    ref.relative = std::to_string(k);
    items[static_cast<size_t>(k)] = preprocess(ref, image, 32);
  });
  std::vector<int> all(n);
  std::iota(all.begin(), all.end(), 0);
  const std::vector<ScanLink> links =
      near_duplicate_links(items, all, glia::vision::NearDuplicateOptions{});

  // Scores per source (0 synthetic, 1 real) and transform.
  const size_t synthetic_bases = synthetic.images.size();
  auto source = [&](size_t item) { return item / per < synthetic_bases ? 0 : 1; };
  std::vector<Score> by[2];
  by[0].resize(ts.size());
  by[1].resize(ts.size());
  std::map<std::string, Score> by_rule[2];
  std::set<std::pair<size_t, size_t>> linked;
  int false_between_bases[2] = {0, 0};
  for (const ScanLink& l : links) {
    const size_t a = static_cast<size_t>(l.a), b = static_cast<size_t>(l.b);
    const bool right = a / per == b / per;
    linked.insert({a, b});
    for (size_t k : {a, b}) {
      by_rule[source(k)][l.kind].matches += 1;
      by_rule[source(k)][l.kind].right += right;
    }
    if (!right && a % per == 0 && b % per == 0) {
      ++false_between_bases[source(a)];
      if (source(b) != source(a)) ++false_between_bases[source(b)];
    }
    for (size_t k : {a, b}) {
      if (k % per == 0) continue;
      by[source(k)][k % per - 1].matches += 1;
      by[source(k)][k % per - 1].right += right;
    }
  }
  for (size_t base = 0; base < bases.size(); ++base) {
    for (size_t t = 1; t < per; ++t) {
      Score& s = by[source(base * per)][t - 1];
      s.positives += 1;
      s.found += linked.count({base * per, base * per + t});
    }
  }
  auto ratio = [](int x, int of) {
    char text[16];
    std::snprintf(text, sizeof(text), of ? "%.3f" : "-", of ? static_cast<double>(x) / of : 0.0);
    return std::string(text);
  };
  std::printf(
      "\nnear-duplicate detection, default thresholds: %zu synthetic and %zu real scans, each "
      "with %zu copies (%zu images, %zu pairs)\n",
      synthetic_bases, real, ts.size(), n, n * (n - 1) / 2);
  std::printf("%-22s %20s %20s\n", "", "synthetic scans", "real scans");
  std::printf("%-22s %10s %9s %10s %9s\n", "transform", "recall", "precision", "recall",
              "precision");
  int positives[2] = {0, 0}, found[2] = {0, 0};
  for (size_t t = 0; t < ts.size(); ++t) {
    std::printf("%-22s", ts[t].name.c_str());
    for (int src : {0, 1}) {
      const Score& s = by[src][t];
      positives[src] += s.positives;
      found[src] += s.found;
      std::printf(" %10s %9s", ratio(s.found, s.positives).c_str(),
                  ratio(s.right, s.matches).c_str());
    }
    std::printf("\n");
    INFO(ts[t].name);
    // Floors below the measured figures (docs/brain_tumor.md): a change that loses recall or
    // precision on real scans fails here.
    if (real) {
      CHECK(by[1][t].found >= 0.7 * by[1][t].positives);
      CHECK(by[1][t].right >= 0.95 * by[1][t].matches);
    }
    CHECK(by[0][t].found >= 0.5 * by[0][t].positives);
  }
  for (int src : {0, 1}) {
    for (const auto& [rule, s] : by_rule[src]) {
      std::printf("%s scans, rule %-7s %5d matches, precision %s\n", src ? "real" : "synthetic",
                  rule.c_str(), s.matches, ratio(s.right, s.matches).c_str());
    }
    std::printf(
        "%s scans, all transforms: recall %s; matches between two different originals: "
        "%d\n",
        src ? "real" : "synthetic", ratio(found[src], positives[src]).c_str(),
        false_between_bases[src]);
  }
  if (real) {
    CHECK(found[1] >= 0.85 * positives[1]);
    CHECK(false_between_bases[1] == 0);
  }
}

TEST_CASE("duplicates: the detector against the reviewed groups of the real data set",
          "[duplicates][real_data]") {
  if (!fs::is_directory(kRealData)) {
    WARN("skipped: no real data set at " << kRealData);
    return;
  }
  const std::vector<ImageRef> refs = list_class_folders(kRealData.string());
  const PreparedSet set = prepare_images(refs, false, {}, 32);
  const std::vector<Prepared>& items = set.items;
  std::vector<int> originals(items.size());
  std::iota(originals.begin(), originals.end(), 0);
  DuplicateSettings automatic, reviewed;
  automatic.mode = reviewed.mode = DuplicatesMode::near;
  reviewed.groups_file = kReviewed.string();
  auto same_group_pairs = [&](const DuplicateSettings& s) {
    std::set<std::pair<int, int>> pairs;
    for (const DuplicateGroup& g :
         duplicate_groups(items, originals, find_duplicate_scans(items, originals, s))) {
      for (size_t x = 0; x < g.scans.size(); ++x)
        for (size_t y = x + 1; y < g.scans.size(); ++y)
          pairs.insert(std::minmax(g.scans[x], g.scans[y]));
    }
    return pairs;
  };
  const auto found = same_group_pairs(automatic), truth = same_group_pairs(reviewed);
  size_t right = 0;
  for (const auto& p : found) right += truth.count(p);
  std::printf(
      "\nreal data set, default thresholds against the reviewed groups: %zu of %zu "
      "same-scan pairs found (recall %.3f), %zu of %zu found pairs right (precision "
      "%.3f)\n",
      right, truth.size(), static_cast<double>(right) / truth.size(), right, found.size(),
      static_cast<double>(right) / found.size());
  CHECK(right == found.size());  // the review split no group
  CHECK(right >= 0.9 * truth.size());
}

TEST_CASE("duplicates: groups.tsv round trips, bad groups files are named", "[duplicates]") {
  std::vector<Prepared> items(4);
  const char* names[] = {"no/a.jpg", "no/b.jpg", "yes/c.jpg", "yes/d.jpg"};
  for (int i = 0; i < 4; ++i) {
    items[static_cast<size_t>(i)].ref.relative = names[i];
    items[static_cast<size_t>(i)].ref.label = i >= 2;
    items[static_cast<size_t>(i)].ref.scan_key = std::string(i >= 2 ? "1/" : "0/") + names[i];
  }
  const std::vector<int> originals{0, 1, 2, 3};
  const std::vector<ScanLink> links{{0, 2, "phash", "phash 1"}, {1, 3, "exact", "identical"}};
  const std::vector<DuplicateGroup> groups = duplicate_groups(items, originals, links);
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].labels_disagree);
  const fs::path dir = fs::temp_directory_path() / ("glia_groups_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string file = (dir / "groups.tsv").string();
  glia::io::write_file_atomically(file, groups_tsv(items, groups));
  const std::vector<ScanLink> back = read_groups_file(file, items, originals);
  REQUIRE(back.size() == 2);
  CHECK(duplicate_groups(items, originals, back).size() == 2);
  CHECK(back[0].kind == "reviewed");
  // The grouped split keeps linked scans (and so a label conflict) in one group.
  const ScanGroups g = group_scans(items, {}, originals, back);
  CHECK(g.of_item[0] == g.of_item[2]);
  CHECK(g.of_item[1] == g.of_item[3]);
  CHECK(g.label_conflicts == 2);

  auto error_of = [&](const std::string& text) {
    glia::io::write_file_atomically(file, text);
    try {
      read_groups_file(file, items, originals);
    } catch (const DataError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error_of(""), Catch::Contains("no header"));
  CHECK_THAT(error_of("file\tgroup\n"), Catch::Contains("line 1: expected the header"));
  CHECK_THAT(error_of("group\tfile\n1\tno/a.jpg\n1\tno/zzz.jpg\n"),
             Catch::Contains("line 3: 'no/zzz.jpg' is not an original scan"));
  CHECK_THAT(error_of("group\tfile\n1\tno/a.jpg\n2\tno/a.jpg\n"),
             Catch::Contains("listed in groups 1 and 2"));
  CHECK_THAT(error_of("# comment\ngroup\tfile\n1\n"), Catch::Contains("line 3: expected a group"));
  CHECK(error_of("# reviewed\ngroup\tfile\tlabel\n7\tno/a.jpg\tno\n7\tyes/d.jpg\tyes\n").empty());
  CHECK_THROWS_WITH(read_groups_file((dir / "missing.tsv").string(), items, originals),
                    Catch::Contains("--groups"));
  fs::remove_all(dir);
}
