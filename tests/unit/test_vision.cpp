// glia::vision: hashes against OpenCV + SciPy known values, the NCC thumbnails, near-duplicate
// matching with its evidence, flips, grouping, and the error cases.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <glia/glia.hpp>

using namespace glia;
using vision::Orientation;

namespace {

const std::string kData = GLIA_TEST_DATA_DIR;

// tests/golden/make_vision_golden.py's pattern(width, height, k), as a grey 8-bit image.
io::Image pattern(int width, int height, int k) {
  io::Image image(width, height, 1);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      image.at(y, x, 0) = static_cast<uint8_t>((x * (7 + k) + y * 13 + (x * y) % (31 + k)) % 256);
  return image;
}

// A textured colour image: smooth blobs, different for each seed.
io::Image scene(uint64_t seed, int width = 160, int height = 128) {
  Rng rng(seed);
  double cx[4], cy[4], r[4], v[4];
  for (int i = 0; i < 4; ++i) {
    cx[i] = rng.uniform(0.1f, 0.9f) * width;
    cy[i] = rng.uniform(0.1f, 0.9f) * height;
    r[i] = rng.uniform(0.1f, 0.3f) * width;
    v[i] = rng.uniform(-120.0f, 120.0f);
  }
  io::Image image(width, height, 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double g = 120 + 30 * std::sin(x * 0.05 * (1 + seed % 3)) * std::cos(y * 0.04);
      for (int i = 0; i < 4; ++i) {
        const double d2 = (x - cx[i]) * (x - cx[i]) + (y - cy[i]) * (y - cy[i]);
        g += v[i] * std::exp(-d2 / (2 * r[i] * r[i]));
      }
      for (int c = 0; c < 3; ++c)
        image.at(y, x, c) = static_cast<uint8_t>(std::clamp(g + 10 * c, 0.0, 255.0));
    }
  return image;
}

io::Image mirrored(const io::Image& in) {
  io::Image out = in;
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x)
      for (int c = 0; c < in.channels; ++c) out.at(y, x, c) = in.at(y, in.width - 1 - x, c);
  return out;
}

}  // namespace

TEST_CASE("vision: pHash and dHash equal imagededup's definitions (OpenCV + SciPy)", "[vision]") {
  std::ifstream in(kData + "/vision_hashes.txt");
  REQUIRE(in);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    int w, h, k;
    std::string phash, dhash;
    fields >> w >> h >> k >> phash >> dhash;
    const vision::GreyImage grey = vision::to_grey(pattern(w, h, k));
    char ours[2][17];
    std::snprintf(ours[0], sizeof(ours[0]), "%016llx",
                  static_cast<unsigned long long>(vision::perceptual_hash(grey)));
    std::snprintf(ours[1], sizeof(ours[1]), "%016llx",
                  static_cast<unsigned long long>(vision::difference_hash(grey)));
    INFO(w << "x" << h << " k " << k);
    CHECK(ours[0] == phash);
    CHECK(ours[1] == dhash);
    ++rows;
  }
  CHECK(rows == 6);
}

TEST_CASE("vision: Hamming distance, area resize and orientations", "[vision]") {
  CHECK(vision::hamming_distance(0, 0) == 0);
  CHECK(vision::hamming_distance(~0ull, 0) == 64);
  CHECK(vision::hamming_distance(0b1011, 0b0110) == 3);
  // An integer factor averages whole blocks.
  vision::GreyImage g;
  g.width = 4;
  g.height = 2;
  g.pixels = {0, 2, 4, 6, 8, 10, 12, 14};
  const vision::GreyImage half = vision::resize_area(g, 2, 1);
  CHECK(half.pixels == std::vector<float>{5, 9});
  const vision::GreyImage m = vision::oriented(g, Orientation::half_turn);
  CHECK(m.pixels == std::vector<float>{14, 12, 10, 8, 6, 4, 2, 0});
  // The fingerprint's mirrored hashes are the hashes of the mirror image.
  const io::Image a = scene(3);
  const vision::Fingerprint fa = vision::fingerprint(a), fm = vision::fingerprint(mirrored(a));
  CHECK(vision::hamming_distance(fa.phash[1], fm.phash[0]) <= 1);
  CHECK(vision::hamming_distance(fa.dhash[1], fm.dhash[0]) <= 1);
  CHECK(vision::orientation_name(Orientation::flipped) == std::string("flipped"));
}

TEST_CASE("vision: thumbnails are standardised, so brightness and contrast do not matter",
          "[vision]") {
  const io::Image a = scene(5);
  io::Image b = a;
  for (uint8_t& p : b.pixels) p = static_cast<uint8_t>(std::clamp(p * 0.7 + 30, 0.0, 255.0));
  const vision::Fingerprint fa = vision::fingerprint(a), fb = vision::fingerprint(b);
  double dot = 0, norm = 0, mean = 0;
  for (size_t i = 0; i < fa.thumbnail.size(); ++i) {
    dot += fa.thumbnail[i] * fb.thumbnail[i];
    norm += fa.thumbnail[i] * fa.thumbnail[i];
    mean += fa.thumbnail[i];
  }
  CHECK(norm == Approx(1.0).epsilon(1e-5));
  CHECK(std::abs(mean) < 1e-4);
  CHECK(dot > 0.99);
  // A flat image has a zero thumbnail (it correlates with nothing).
  const vision::Fingerprint flat = vision::fingerprint(io::Image(20, 20, 1, 77));
  for (float v : flat.thumbnail) CHECK(v == 0.0f);
}

TEST_CASE("vision: near duplicates are found with their evidence and grouped", "[vision]") {
  // 0: a scene; 1: its JPEG at quality 40; 2: its mirror image; 3: it at 0.6x; 4-7: others.
  const io::Image base = scene(11);
  std::vector<io::Image> images{base, io::decode_image(io::encode_jpeg(base, 40), "q40", 3),
                                mirrored(base)};
  {
    const vision::GreyImage grey = vision::resize_area(vision::to_grey(base), 96, 77);
    io::Image small(96, 77, 1);
    for (size_t i = 0; i < grey.pixels.size(); ++i)
      small.pixels[i] = static_cast<uint8_t>(std::lround(grey.pixels[i]));
    images.push_back(small);
  }
  for (uint64_t s : {21, 22, 23, 24}) images.push_back(scene(s));
  std::vector<vision::Fingerprint> prints;
  for (const io::Image& im : images) prints.push_back(vision::fingerprint(im));

  const std::vector<vision::Match> matches = vision::find_near_duplicates(prints);
  const vision::Groups groups = vision::group_matches(prints.size(), matches);
  CHECK(groups.count == 5);  // {0, 1, 2, 3} and the four others
  for (int i : {1, 2, 3}) CHECK(groups.of[static_cast<size_t>(i)] == 0);
  for (int i : {4, 5, 6, 7}) CHECK(groups.of[static_cast<size_t>(i)] == i);
  CHECK(groups.merges.size() == 3);
  bool mirror_found = false;
  for (const vision::Match& m : matches) {
    CHECK(m.a < m.b);
    CHECK(m.b < 4);
    if (m.a == 0 && m.b == 2) {
      mirror_found = true;
      CHECK(m.orientation == Orientation::mirrored);
      CHECK(m.evidence().find("(mirrored)") != std::string::npos);
    }
  }
  CHECK(mirror_found);

  // Without flips the mirror image is another picture.
  vision::NearDuplicateOptions no_flips;
  no_flips.flips = false;
  for (const vision::Match& m : vision::find_near_duplicates(prints, no_flips)) {
    CHECK_FALSE((m.a == 0 && m.b == 2));
    CHECK(m.orientation == Orientation::identity);
  }
  // Every rule off: nothing matches; the NCC rule alone still finds the re-encoded copy.
  vision::NearDuplicateOptions off;
  off.phash = off.dhash = off.joint_phash = off.joint_dhash = -1;
  off.ncc = 1.5;
  CHECK(vision::find_near_duplicates(prints, off).empty());
  off.ncc = 0.95;
  bool by_ncc = false;
  for (const vision::Match& m : vision::find_near_duplicates(prints, off)) {
    CHECK(m.rule == vision::Rule::ncc);
    CHECK(m.aligned_ncc >= 0.95f);
    by_ncc = by_ncc || (m.a == 0 && m.b == 1);
  }
  CHECK(by_ncc);
}

TEST_CASE("vision: the same matches for any thread count and block split", "[vision]") {
  std::vector<vision::Fingerprint> prints;
  for (uint64_t s = 0; s < 70; ++s) {
    io::Image im = scene(100 + s % 40, 64, 48);  // images 40-69 repeat 0-29
    if (s >= 40) im = io::decode_image(io::encode_jpeg(im, 60), "copy", 3);
    prints.push_back(vision::fingerprint(im));
  }
  const int threads = num_threads();
  set_num_threads(1);
  const std::vector<vision::Match> one = vision::find_near_duplicates(prints);
  set_num_threads(2);
  const std::vector<vision::Match> two = vision::find_near_duplicates(prints);
  set_num_threads(threads);
  REQUIRE(one.size() == two.size());
  for (size_t i = 0; i < one.size(); ++i) {
    CHECK(one[i].a == two[i].a);
    CHECK(one[i].b == two[i].b);
    CHECK(one[i].evidence() == two[i].evidence());
    if (i) CHECK(std::make_pair(one[i - 1].a, one[i - 1].b) < std::make_pair(one[i].a, one[i].b));
  }
  const vision::Groups g = vision::group_matches(prints.size(), one);
  for (int s = 40; s < 70; ++s)
    CHECK(g.of[static_cast<size_t>(s)] == g.of[static_cast<size_t>(s - 40)]);
}

TEST_CASE("vision: bad arguments name what is wrong", "[vision][errors]") {
  CHECK_THROWS_WITH(vision::to_grey(io::Image()), Catch::Contains("non-empty image"));
  CHECK_THROWS_WITH(vision::resize_area(vision::GreyImage{}, 2, 2),
                    Catch::Contains("cannot resize"));
  std::vector<vision::Fingerprint> prints(2);
  CHECK_THROWS_WITH(vision::find_near_duplicates(prints), Catch::Contains("fingerprint 0"));
  prints = {vision::fingerprint(scene(1)), vision::fingerprint(scene(2))};
  vision::NearDuplicateOptions bad;
  bad.phash = 65;
  CHECK_THROWS_WITH(vision::find_near_duplicates(prints, bad), Catch::Contains("at most 64"));
  vision::Match m;
  m.a = 0;
  m.b = 5;
  CHECK_THROWS_WITH(vision::group_matches(2, {m}), Catch::Contains("out of range"));
  UnionFind sets(3);
  CHECK(sets.unite(2, 1));
  CHECK_FALSE(sets.unite(1, 2));
  CHECK(sets.find(2) == 1);
  CHECK_THROWS_WITH(sets.find(3), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(io::encode_jpeg(scene(1), 0), Catch::Contains("quality"));
  CHECK_THROWS_WITH(io::encode_png(io::Image()), Catch::Contains("cannot be encoded"));
}
