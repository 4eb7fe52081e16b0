// examples/brain_tumor's data pipeline, stage by stage, on small generated images.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <tuple>

#include <unistd.h>

#include "augment.hpp"
#include "dataset.hpp"
#include "explain.hpp"
#include "golden_file.hpp"
#include "model.hpp"
#include "preprocess.hpp"
#include "recipes.hpp"
#include "scan_dataset.hpp"
#include "seed_network.hpp"
#include "synthetic.hpp"
#include "temp_dir.hpp"
#include "training.hpp"

using glia::testing::TempDir;
using namespace brain_tumor;
using glia::Tensor;
using glia::testing::load_golden;
namespace fs = std::filesystem;

namespace {

Image image_from(const Tensor& t) {  // golden tensors are {H, W} or {H, W, C}
  const int h = static_cast<int>(t.size(0)), w = static_cast<int>(t.size(1));
  const int c = t.dim() == 3 ? static_cast<int>(t.size(2)) : 1;
  Image image(w, h, c);
  for (size_t i = 0; i < image.pixels.size(); ++i)
    image.pixels[i] = static_cast<uint8_t>(t.data()[i]);
  return image;
}

int max_abs_difference(const Image& a, const Image& b) {
  REQUIRE(a.width == b.width);
  REQUIRE(a.height == b.height);
  REQUIRE(a.channels == b.channels);
  int worst = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i)
    worst = std::max(worst, std::abs(a.pixels[i] - b.pixels[i]));
  return worst;
}

Prepared fake_item(const std::string& key, int label, bool augmented, uint64_t hash) {
  Prepared p;
  p.ref.scan_key = key;
  p.ref.label = label;
  p.ref.augmented = augmented;
  p.decoded_hash = hash;
  return p;
}

}  // namespace

TEST_CASE("pipeline: gray, blur, threshold and morphology match OpenCV exactly") {
  auto g = load_golden("pipeline.txt");
  for (const char* tag : {"scan_a", "scan_b"}) {
    DYNAMIC_SECTION(tag) {
      const Image bgr = image_from(g.at(std::string(tag) + ".bgr"));
      const Image blurred = gaussian_blur5(to_gray(bgr));
      CHECK(max_abs_difference(blurred, image_from(g.at(std::string(tag) + ".blurred_gray"))) == 0);
      const Image mask = dilate3x3(erode3x3(threshold_binary(blurred, 45), 2), 2);
      CHECK(max_abs_difference(mask, image_from(g.at(std::string(tag) + ".mask"))) == 0);
    }
  }
}

TEST_CASE("pipeline: the crop finds the drawn ellipse's box as OpenCV's contours do") {
  auto g = load_golden("pipeline.txt");
  for (const char* tag : {"scan_a", "scan_b"}) {
    DYNAMIC_SECTION(tag) {
      const Image bgr = image_from(g.at(std::string(tag) + ".bgr"));
      const Tensor box = g.at(std::string(tag) + ".box");  // left, top, right, bottom
      const CropResult crop = crop_brain_contour(bgr);
      REQUIRE(crop.found_contour);
      const auto found = largest_contour_box(image_from(g.at(std::string(tag) + ".mask")));
      REQUIRE(found);
      CHECK(found->left == box.data()[0]);
      CHECK(found->top == box.data()[1]);
      CHECK(found->right == box.data()[2]);
      CHECK(found->bottom == box.data()[3]);
      CHECK(crop.image.width == found->width());
      CHECK(crop.image.height == found->height());
    }
  }
}

TEST_CASE(
    "pipeline: the largest contour wins over a nearer, smaller blob, and no contour keeps the "
    "image") {
  Image mask(40, 30, 1);
  for (int y = 2; y < 6; ++y) {
    for (int x = 2; x < 6; ++x) mask.at(y, x, 0) = 255;  // small blob first in raster order
  }
  for (int y = 10; y < 25; ++y) {
    for (int x = 12; x < 35; ++x) mask.at(y, x, 0) = 255;
  }
  const auto box = largest_contour_box(mask);
  REQUIRE(box);
  CHECK(box->left == 12);
  CHECK(box->top == 10);
  CHECK(box->right == 34);  // the extreme point itself: the seed's slice excludes it
  CHECK(box->bottom == 24);
  const Image black(50, 40, 3);
  const CropResult whole = crop_brain_contour(black);
  CHECK_FALSE(whole.found_contour);
  CHECK(whole.image.width == 50);
}

TEST_CASE("pipeline: bicubic resize matches OpenCV's INTER_CUBIC") {
  auto g = load_golden("pipeline.txt");
  const Image src = image_from(g.at("resize.src"));
  CHECK(max_abs_difference(resize_bicubic(src, 24, 30), image_from(g.at("resize.down_30x24"))) <=
        1);
  CHECK(max_abs_difference(resize_bicubic(src, 90, 80), image_from(g.at("resize.up_80x90"))) <= 1);
}

TEST_CASE("pipeline: bicubic resize keeps a constant image and is the identity at scale 1") {
  Image flat(13, 7, 3, 77);
  const Image up = resize_bicubic(flat, 40, 21);
  for (uint8_t v : up.pixels) REQUIRE(v == 77);
  glia::Rng rng(1);
  Image noise(17, 11, 1);
  for (uint8_t& v : noise.pixels) v = static_cast<uint8_t>(rng.below(256));
  CHECK(max_abs_difference(resize_bicubic(noise, 17, 11), noise) == 0);
}

TEST_CASE("pipeline: augmentation is reproducible per seed and the identity without a draw") {
  glia::Rng rng(4);
  const Image scan = resize_bicubic(synthetic_scan(true, rng), 64, 64);
  std::vector<float> a(3 * 64 * 64), b(a.size()), c(a.size());
  const AugmentSettings settings;
  auto run = [&](uint64_t seed, uint64_t epoch, std::vector<float>& out) {
    glia::Rng r = augment_rng(seed, epoch, 17);
    augment_into(scan, draw_augment_params(settings, 64, 64, r), out.data());
  };
  run(1, 3, a);
  run(1, 3, b);
  run(2, 3, c);
  CHECK(a == b);
  CHECK(a != c);
  for (float v : a) REQUIRE((v >= 0.0f && v <= 1.0f));
  // No rotation, shift, shear or flip and brightness 1: the scaled input.
  std::vector<float> same(a.size());
  augment_into(scan, AugmentParams{}, same.data());
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      REQUIRE(same[static_cast<size_t>(y * 64 + x)] ==
              Approx(scan.at(y, x, 0) / 255.0f).margin(1e-6));
    }
  }
  // A horizontal flip alone mirrors the columns.
  AugmentParams flip;
  flip.flip_horizontal = true;
  augment_into(scan, flip, c.data());
  CHECK(c[5] == Approx(same[63 - 5]).margin(1e-6));
}

TEST_CASE(
    "pipeline: the grouped split never puts one scan's copies in two parts, merges duplicates") {
  std::vector<Prepared> items;
  std::vector<int> originals, augmented;
  // 40 scans per label; scans 0-2 of "yes" are byte-identical duplicates (same hash).
  for (int label : {0, 1}) {
    for (int s = 0; s < 40; ++s) {
      const std::string key = std::to_string(label) + "/scan" + std::to_string(s);
      const uint64_t hash = label == 1 && s < 3 ? 999 : static_cast<uint64_t>(label * 1000 + s);
      originals.push_back(static_cast<int>(items.size()));
      items.push_back(fake_item(key, label, false, hash));
      for (int copy = 0; copy < 5; ++copy) {
        augmented.push_back(static_cast<int>(items.size()));
        items.push_back(fake_item(key, label, true, 0));
      }
    }
  }
  const std::vector<ScanLink> links = exact_duplicate_links(items, originals);
  const Split split = grouped_split(items, augmented, originals, 7, links);
  CHECK(split.merges_of("exact") == 2);
  CHECK(split.merges.size() == 2);
  CHECK(split.groups == 78);
  std::map<std::string, std::set<int>> parts_of_scan;
  const std::vector<int>* parts[] = {&split.train, &split.val, &split.test};
  for (int p = 0; p < 3; ++p) {
    for (int i : *parts[p]) parts_of_scan[items[static_cast<size_t>(i)].ref.scan_key].insert(p);
  }
  for (const auto& [key, where] : parts_of_scan) {
    INFO(key);
    CHECK(where.size() == 1);
  }
  const int dup_part = *parts_of_scan["1/scan0"].begin();
  CHECK(*parts_of_scan["1/scan1"].begin() == dup_part);
  CHECK(*parts_of_scan["1/scan2"].begin() == dup_part);
  CHECK(split.train.size() + split.val.size() + split.test.size() == augmented.size());
  for (int i : split.test_originals)
    CHECK(parts_of_scan[items[static_cast<size_t>(i)].ref.scan_key] == std::set<int>{2});
  // Stratified: each part holds both labels.
  for (const auto* part : parts) {
    std::set<int> labels;
    for (int i : *part) labels.insert(items[static_cast<size_t>(i)].ref.label);
    CHECK(labels.size() == 2);
  }
  // Reproducible per seed.
  CHECK(grouped_split(items, augmented, originals, 7, links).test == split.test);
}

TEST_CASE("pipeline: the paper split is 70/15/15 like the seed's two train_test_split calls") {
  std::vector<int> pool(2065);
  std::iota(pool.begin(), pool.end(), 0);
  const Split s = paper_split(pool, 1);
  CHECK(s.train.size() == 1445);
  CHECK(s.val.size() == 310);
  CHECK(s.test.size() == 310);
  std::set<int> all(s.train.begin(), s.train.end());
  all.insert(s.val.begin(), s.val.end());
  all.insert(s.test.begin(), s.test.end());
  CHECK(all.size() == 2065);
  CHECK(paper_split(pool, 2).test != s.test);
}

TEST_CASE("pipeline: bad files are skipped and reported, or fail in strict mode") {
  TempDir dir("glia_pipeline");
  fs::create_directories(dir.path / "yes");
  fs::create_directories(dir.path / "no");
  glia::Rng rng(2);
  glia::io::write_png((dir.path / "yes" / "good.png").string(), synthetic_scan(true, rng, 64, 64));
  glia::io::write_png((dir.path / "no" / "good.png").string(), synthetic_scan(false, rng, 64, 64));
  const std::string good = glia::io::read_file((dir.path / "yes" / "good.png").string());
  std::ofstream(dir.path / "yes" / "truncated.png", std::ios::binary)
      << good.substr(0, good.size() / 3);
  std::ofstream(dir.path / "no" / "notes.txt") << "not an image";
  std::ofstream(dir.path / "no" / "empty.jpg");

  const std::vector<ImageRef> refs = list_class_folders(dir.path.string());
  CHECK(refs.size() == 5);
  const PreparedSet set = prepare_images(refs, false);
  CHECK(set.items.size() == 2);
  REQUIRE(set.skipped.size() == 3);
  std::set<std::string> names;
  for (const SkippedFile& s : set.skipped) names.insert(s.relative);
  CHECK(names == std::set<std::string>{"no/empty.jpg", "no/notes.txt", "yes/truncated.png"});
  CHECK_THROWS_AS(prepare_images(refs, true), DataError);
  CHECK_THROWS_WITH(prepare_images(refs, true), Catch::Contains("no/empty.jpg"));
}

TEST_CASE("pipeline: missing or empty class folders are clear errors") {
  TempDir dir("glia_pipeline");
  CHECK_THROWS_WITH(list_class_folders((dir.path / "nowhere").string()),
                    Catch::Contains("does not exist"));
  fs::create_directories(dir.path / "yes");
  CHECK_THROWS_WITH(list_class_folders(dir.path.string()),
                    Catch::Contains("missing class folder") && Catch::Contains("no"));
  fs::create_directories(dir.path / "no");
  CHECK_THROWS_WITH(list_class_folders(dir.path.string()), Catch::Contains("has no files"));
}

TEST_CASE("pipeline: augmented copies are tied to their source scan by the seed's naming") {
  TempDir dir("glia_pipeline");
  for (const char* sub : {"yes", "no", "augmented data/yes", "augmented data/no"}) {
    fs::create_directories(dir.path / sub);
  }
  for (const char* f : {"yes/Y100.JPG", "no/1 no.jpeg", "augmented data/yes/aug_Y100_0_2052.jpg",
                        "augmented data/no/aug_1 no._0_1187.jpg"}) {
    std::ofstream(dir.path / f) << "x";
  }
  const Catalog c = scan_data_dir(dir.path.string());
  REQUIRE(c.originals.size() == 2);
  REQUIRE(c.augmented.size() == 2);
  std::set<std::string> original_keys, augmented_keys;
  for (const ImageRef& r : c.originals) original_keys.insert(r.scan_key);
  for (const ImageRef& r : c.augmented) augmented_keys.insert(r.scan_key);
  CHECK(original_keys == augmented_keys);
  CHECK(original_keys == std::set<std::string>{"1/Y100", "0/1 no."});
}

TEST_CASE("explain: Grad-CAM of a scan with one bright lesion peaks on the lesion") {
  // A network that scores brightness: every conv filter averages its patch, batch norm is the
  // identity, and the dense layer sums the pooled map. Its Grad-CAM must follow the brightest
  // region, whatever the lesion's position.
  glia::nn::Sequential net = seed_network();
  std::vector<glia::Tensor> p = net.parameters();
  glia::as_array(p[0]).setConstant(1.0f / 147);
  glia::as_array(p[4]).setConstant(1.0f / 6272);
  net.eval();
  for (const auto& [lesion_x, lesion_y] : {std::pair<int, int>{170, 80}, {60, 160}}) {
    Image scan(kImageSize, kImageSize, 3, 20);
    for (int y = 0; y < kImageSize; ++y) {
      for (int x = 0; x < kImageSize; ++x) {
        const double head = std::pow((x - 120) / 100.0, 2) + std::pow((y - 120) / 110.0, 2);
        const double lesion = std::pow(x - lesion_x, 2) + std::pow(y - lesion_y, 2);
        const uint8_t v = lesion < 14 * 14 ? 240 : head < 1 ? 110 : 20;
        for (int c = 0; c < 3; ++c) scan.at(y, x, c) = v;
      }
    }
    const Tensor x = glia::data::image_to_tensor(scan);
    const GradCam cam = grad_cam(net, glia::reshape(x, {1, 3, kImageSize, kImageSize}));
    REQUIRE(cam.heat.shape() == glia::Shape{14, 14});
    int64_t peak = 0;
    for (int64_t i = 1; i < cam.heat.numel(); ++i) {
      if (cam.heat.data()[i] > cam.heat.data()[peak]) peak = i;
    }
    // Each cell of the 14x14 map covers 16 input pixels (two 4x4 pools after a 7x7 conv on the
    // 2-padded image); the peak cell must be the lesion's, give or take one.
    INFO("lesion at (" << lesion_x << ", " << lesion_y << "), peak cell " << peak % 14 << ", "
                       << peak / 14);
    CHECK(std::abs(peak % 14 - lesion_x / 16) <= 1);
    CHECK(std::abs(peak / 14 - lesion_y / 16) <= 1);
    CHECK(cam.heat.data()[peak] == 1.0f);

    // The same network as a recipe's model wraps it: alone, and twice in an ensemble with a
    // calibrating scale behind. The map is the same, the logit the wrapped model's.
    auto shared = std::make_shared<glia::nn::Sequential>(net);
    glia::nn::Sequential wrapped;
    wrapped.add(shared);
    auto ensemble = std::make_shared<glia::nn::Average>();
    ensemble->add(shared).add(shared);
    glia::nn::Sequential calibrated;
    calibrated.add(ensemble).add(glia::nn::Dense(1, 1, false));
    calibrated.parameters().back().data()[0] = 0.5f;
    for (glia::nn::Sequential* model : {&wrapped, &calibrated}) {
      const GradCam again = grad_cam(*model, glia::reshape(x, {1, 3, kImageSize, kImageSize}));
      REQUIRE(again.heat.shape() == cam.heat.shape());
      for (int64_t i = 0; i < cam.heat.numel(); ++i)
        CHECK(again.heat.data()[i] == Approx(cam.heat.data()[i]).margin(1e-6));
      CHECK(again.logit == Approx(model == &wrapped ? cam.logit : 0.5f * cam.logit));
    }
  }
}

TEST_CASE("pipeline: --set changes one recipe setting and names what it refuses") {
  Recipe r = recipe_named("glia");
  apply_setting(r, "epochs=20");
  apply_setting(r, "widths=8,16,32");
  apply_setting(r, "flip_tta=false");
  apply_setting(r, "lr=0.003");
  apply_setting(r, "brightness_low=0.8");
  CHECK(r.epochs == 20);
  CHECK(r.widths == std::vector<int64_t>{8, 16, 32});
  CHECK_FALSE(r.flip_tta);
  CHECK(r.lr == Approx(0.003f));
  CHECK(r.augment_settings.brightness_low == Approx(0.8f));
  CHECK(build_network(r).output_shape({2, 3, r.image_size, r.image_size}) == glia::Shape{2, 1});
  CHECK_THROWS_WITH(apply_setting(r, "epochs"), Catch::Contains("expected name=value"));
  CHECK_THROWS_WITH(apply_setting(r, "bogus=1"), Catch::Contains("no setting named 'bogus'"));
  CHECK_THROWS_WITH(apply_setting(r, "epochs=2.5"), Catch::Contains("not a whole number"));
  CHECK_THROWS_WITH(apply_setting(r, "epochs=0"), Catch::Contains("from 1 to"));
  CHECK_THROWS_WITH(apply_setting(r, "lr=fast"), Catch::Contains("'fast' is not a number"));
  CHECK_THROWS_WITH(apply_setting(r, "cosine=maybe"), Catch::Contains("not true or false"));
  CHECK_THROWS_WITH(apply_setting(r, "widths=8,,16"), Catch::Contains("widths"));
  CHECK_THROWS_WITH(apply_setting(r, "monitor=val_auc"), Catch::Contains("val_loss"));
  CHECK_THROWS_WITH(apply_setting(r, "brightness_low=2"), Catch::Contains("above"));
  Recipe seed = recipe_named("seed");
  CHECK_THROWS_WITH(apply_setting(seed, "widths=8"), Catch::Contains("fixed"));
}

TEST_CASE("pipeline: scan-balancing class weights make each training scan weigh the same") {
  // Two tumour scans with 3 copies each, one other scan with 6 copies.
  std::vector<Prepared> items;
  std::vector<int> train;
  for (const auto& [key, label, copies] :
       {std::tuple<std::string, int, int>{"1/Y1", 1, 3}, {"1/Y2", 1, 3}, {"0/N1", 0, 6}}) {
    for (int c = 0; c < copies; ++c) {
      train.push_back(static_cast<int>(items.size()));
      items.push_back(fake_item(key, label, true, items.size()));
    }
  }
  const std::vector<float> w = scan_balancing_weights(items, train);
  // Per copy: a tumour scan's 3 copies and the other scan's 6 carry one scan each; mean 1.
  CHECK(w[1] * 3 == Approx(w[0] * 6));
  CHECK((6 * w[1] + 6 * w[0]) / 12 == Approx(1));
}
