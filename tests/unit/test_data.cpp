// glia::data: datasets, collation and the DataLoader's order, batches, prefetch and shards.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <set>

#include <glia/glia.hpp>

using namespace glia;

namespace {

// Example i: input {2} = (i, -i), target {1} = i % 3.
class Counting : public data::Dataset {
 public:
  explicit Counting(size_t n) : n_(n) {}
  size_t size() const override { return n_; }
  data::Example get(size_t i) const override {
    const float v = static_cast<float>(i);
    return {Tensor::from({v, -v}, {2}), Tensor::full({1}, static_cast<float>(i % 3))};
  }

 private:
  size_t n_;
};

std::vector<size_t> all_indices(data::DataLoader& loader, int64_t epoch) {
  std::vector<size_t> seen;
  for (const data::Batch& b : loader.epoch(epoch)) {
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  return seen;
}

}  // namespace

TEST_CASE("data: TensorDataset rows and collate's batch shapes") {
  Tensor images = Tensor::zeros({5, 1, 2, 2});
  for (int64_t i = 0; i < images.numel(); ++i) images.data()[i] = static_cast<float>(i);
  data::TensorDataset set(images, Tensor::from({0, 1, 2, 1, 0}, {5}));
  REQUIRE(set.size() == 5);
  const data::Example e = set.get(3);
  CHECK(e.input.shape() == Shape{1, 2, 2});
  CHECK(e.input.data()[0] == 12.0f);
  CHECK(e.target.shape() == Shape{1});
  CHECK(e.target.item() == 1.0f);
  const data::Example batch = data::collate({set.get(0), set.get(4)});
  CHECK(batch.input.shape() == Shape{2, 1, 2, 2});
  CHECK(batch.target.shape() == Shape{2, 1});
  CHECK(batch.input.data()[4] == 16.0f);
  CHECK_THROWS_WITH(set.get(5), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(data::TensorDataset(images, Tensor::zeros({4})),
                    Catch::Contains("different numbers of examples"));
  CHECK_THROWS_WITH(data::collate({set.get(0), {Tensor::zeros({3}), Tensor::zeros({1})}}),
                    Catch::Contains("example 1"));
}

TEST_CASE(
    "data: an epoch covers the dataset once, in batches, reshuffled per epoch from the seed") {
  Counting set(10);
  data::DataLoaderOptions o;
  o.batch_size = 4;
  o.shuffle = true;
  o.seed = 7;
  data::DataLoader loader(set, o);
  CHECK(loader.num_batches() == 3);
  std::vector<size_t> sizes;
  for (const data::Batch& b : loader.epoch(0)) {
    sizes.push_back(b.indices.size());
    CHECK(b.inputs.shape() == Shape{static_cast<int64_t>(b.indices.size()), 2});
    for (size_t k = 0; k < b.indices.size(); ++k) {
      CHECK(b.inputs.data()[2 * k] == static_cast<float>(b.indices[k]));
    }
  }
  CHECK(sizes == std::vector<size_t>{4, 4, 2});
  const std::vector<size_t> e0 = all_indices(loader, 0), e1 = all_indices(loader, 1);
  CHECK(std::set<size_t>(e0.begin(), e0.end()).size() == 10);
  CHECK(e0 != e1);
  CHECK(all_indices(loader, 1) == e1);  // a function of (seed, epoch)
  CHECK(loader.order(1) == e1);
  // The rule: one Rng(seed) shuffling the previous epoch's order.
  std::vector<size_t> expected(10);
  std::iota(expected.begin(), expected.end(), size_t{0});
  Rng rng(7);
  rng.shuffle(expected);
  CHECK(e0 == expected);
  rng.shuffle(expected);
  CHECK(e1 == expected);
}

TEST_CASE("data: prefetching gives the same batches, drop_last drops the short one") {
  Counting set(11);
  data::DataLoaderOptions o;
  o.batch_size = 3;
  o.shuffle = true;
  o.seed = 2;
  o.prefetch = false;
  data::DataLoader plain(set, o);
  o.prefetch = true;
  data::DataLoader ahead(set, o);
  for (int64_t e : {0, 3}) CHECK(all_indices(plain, e) == all_indices(ahead, e));
  o.drop_last = true;
  data::DataLoader dropping(set, o);
  CHECK(dropping.num_batches() == 3);
  CHECK(all_indices(dropping, 0).size() == 9);
  // Leaving a loop early stops the background thread cleanly.
  for (const data::Batch& b : ahead.epoch(5)) {
    CHECK(b.indices.size() == 3);
    break;
  }
}

TEST_CASE(
    "data: shards split each global batch, so W shards of b see what one loader of W*b sees") {
  Counting set(23);
  data::DataLoaderOptions whole;
  whole.batch_size = 8;
  whole.shuffle = true;
  whole.seed = 5;
  data::DataLoader single(set, whole);
  std::vector<std::vector<size_t>> single_batches;
  for (const data::Batch& b : single.epoch(2)) single_batches.push_back(b.indices);
  std::vector<std::vector<std::vector<size_t>>> shard_batches(2);
  for (int64_t shard = 0; shard < 2; ++shard) {
    data::DataLoaderOptions o = whole;
    o.batch_size = 4;
    o.shard_index = shard;
    o.shard_count = 2;
    data::DataLoader loader(set, o);
    for (const data::Batch& b : loader.epoch(2)) shard_batches[shard].push_back(b.indices);
  }
  REQUIRE(shard_batches[0].size() == single_batches.size());
  for (size_t i = 0; i < single_batches.size(); ++i) {
    std::vector<size_t> joined = shard_batches[0][i];
    joined.insert(joined.end(), shard_batches[1][i].begin(), shard_batches[1][i].end());
    CHECK(joined == single_batches[i]);
  }
  data::DataLoaderOptions bad = whole;
  bad.shard_index = 2;
  bad.shard_count = 2;
  CHECK_THROWS_WITH(data::DataLoader(set, bad), Catch::Contains("shard_index"));
}

TEST_CASE("data: an error in the dataset reaches the loop, with and without prefetch") {
  struct Failing : data::Dataset {
    size_t size() const override { return 6; }
    data::Example get(size_t i) const override {
      if (i == 4) throw std::runtime_error("cannot read example 4");
      return {Tensor::zeros({1}), Tensor::zeros({1})};
    }
  } set;
  for (bool prefetch : {false, true}) {
    data::DataLoaderOptions o;
    o.batch_size = 2;
    o.prefetch = prefetch;
    data::DataLoader loader(set, o);
    CHECK_THROWS_WITH(all_indices(loader, 0), Catch::Contains("example 4"));
  }
}

TEST_CASE("data: image_to_tensor converts HWC bytes to CHW floats, optionally reversing channels") {
  io::Image image(2, 1, 3);
  image.pixels = {10, 20, 30, 40, 50, 60};
  const Tensor t = data::image_to_tensor(image);
  CHECK(t.shape() == Shape{3, 1, 2});
  CHECK(t.data()[0] == Approx(10 / 255.0f));
  CHECK(t.data()[1] == Approx(40 / 255.0f));
  CHECK(t.data()[2] == Approx(20 / 255.0f));
  const Tensor bgr = data::image_to_tensor(image, data::ImageToTensor{1.0f, true});
  CHECK(bgr.data()[0] == 30.0f);
  CHECK(bgr.data()[5] == 40.0f);
}
