// Checkpoints: round trip, atomic writes, and every bad-file case.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <glia/glia.hpp>

#include "temp_dir.hpp"

using glia::testing::TempDir;
using namespace glia;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

nn::Sequential small_net() {
  nn::Sequential net;
  net.add(nn::Conv2d(2, 3, 3));
  net.add(nn::BatchNorm2d(3));
  net.add(nn::Flatten());
  net.add(nn::Dense(12, 1));
  return net;
}


std::string bytes_of(const std::string& path) {
  return io::read_file(path);
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The module's state as one flat vector, to show that a failed load changed nothing.
std::vector<float> state_of(const nn::Module& m) {
  std::vector<float> all;
  for (const nn::NamedTensor& t : m.named_state()) {
    all.insert(all.end(), t.tensor.data(), t.tensor.data() + t.tensor.numel());
  }
  return all;
}

}  // namespace

TEST_CASE("checkpoint: save then load restores parameters and buffers exactly") {
  TempDir dir;
  manual_seed(1);
  nn::Sequential a = small_net();
  a.forward(Tensor::ones({2, 2, 4, 4}));  // moves the running stats off their initial values
  save(a, dir.file("net.glia"));
  CHECK(io::is_checkpoint_file(dir.file("net.glia")));
  manual_seed(2);
  nn::Sequential b = small_net();
  CHECK(state_of(a) != state_of(b));
  load(b, dir.file("net.glia"));
  CHECK(state_of(a) == state_of(b));
  // Nothing but the checkpoint is left in the folder: the temporary file was renamed.
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("checkpoint: bad files throw, name the file and the problem, and change nothing") {
  TempDir dir;
  manual_seed(1);
  nn::Sequential net = small_net();
  const std::string good = dir.file("good.glia");
  save(net, good);
  const std::string bytes = bytes_of(good);
  manual_seed(5);
  nn::Sequential target = small_net();
  const std::vector<float> before = state_of(target);

  auto expect_failure = [&](const std::string& path, const std::string& problem) {
    CHECK_THROWS_WITH(load(target, path), Contains(path) && Contains(problem));
    CHECK(state_of(target) == before);
  };

  expect_failure(dir.file("missing.glia"), "cannot open");

  write_bytes(dir.file("short.glia"), bytes.substr(0, 20));
  expect_failure(dir.file("short.glia"), "truncated");

  write_bytes(dir.file("truncated.glia"), bytes.substr(0, bytes.size() - 7));
  expect_failure(dir.file("truncated.glia"), "truncated");

  std::string flipped = bytes;
  flipped[flipped.size() - 3] ^= 0x40;
  write_bytes(dir.file("flipped.glia"), flipped);
  expect_failure(dir.file("flipped.glia"), "checksum");

  write_bytes(dir.file("text.glia"), std::string("hello, this is not a checkpoint at all!"));
  expect_failure(dir.file("text.glia"), "bad magic");

  std::string future = bytes;
  future[8] = 9;
  write_bytes(dir.file("future.glia"), future);
  expect_failure(dir.file("future.glia"), "unsupported version 9");

  write_bytes(dir.file("trailing.glia"), bytes + "xx");
  expect_failure(dir.file("trailing.glia"), "trailing");

  // Well-formed files whose tensors do not fit the module.
  nn::Sequential wider;
  wider.add(nn::Conv2d(2, 4, 3));
  save(wider, dir.file("wider.glia"));
  expect_failure(dir.file("wider.glia"), "'0.weight' has shape {4, 2, 3, 3}");

  nn::Sequential fewer;
  fewer.add(nn::Conv2d(2, 3, 3));
  save(fewer, dir.file("fewer.glia"));
  expect_failure(dir.file("fewer.glia"), "missing tensor '1.gamma'");

  std::vector<nn::NamedTensor> extra = net.named_state();
  extra.push_back({"9.extra", Tensor::zeros({1})});
  io::save_checkpoint(dir.file("extra.glia"), extra);
  expect_failure(dir.file("extra.glia"), "unexpected tensor '9.extra'");
}

TEST_CASE("checkpoint: a failed save leaves the previous file intact") {
  TempDir dir;
  nn::Sequential net = small_net();
  const std::string path = dir.file("net.glia");
  save(net, path);
  const std::string before = bytes_of(path);
  CHECK_THROWS_WITH(save(net, dir.file("no/such/folder/net.glia")), Contains("cannot write"));
  CHECK(bytes_of(path) == before);
}

TEST_CASE("checkpoint: a non-zero reserved header field is rejected") {
  TempDir dir;
  nn::Sequential net = small_net();
  save(net, dir.file("net.glia"));
  std::string bytes = bytes_of(dir.file("net.glia"));
  for (int byte = 28; byte < 32; ++byte) {
    std::string bad = bytes;
    bad[static_cast<size_t>(byte)] = 0x01;
    write_bytes(dir.file("bad.glia"), bad);
    CHECK_THROWS_WITH(load(net, dir.file("bad.glia")),
                      Contains("reserved header field") && Contains("bytes 28-31"));
  }
}

TEST_CASE("checkpoint: a file of format version 1 (glia 0.1) still loads") {
  // tests/data/checkpoint_v1.glia: glia 0.1's writer, this network with manual_seed(5) and
  // running statistics 0.25 * (i + 1), 1.5 + i.
  manual_seed(5);
  nn::Sequential expected = small_net();
  manual_seed(6);
  nn::Sequential net = small_net();
  load(net, std::string(GLIA_TEST_DATA_DIR) + "/checkpoint_v1.glia");
  const std::vector<NamedTensor> got = net.named_parameters(), want = expected.named_parameters();
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK((as_array(got[i].tensor) == as_array(want[i].tensor)).all());
  }
  CHECK(net.named_buffers()[0].tensor.data()[2] == 0.75f);
  CHECK(net.named_buffers()[1].tensor.data()[2] == 3.5f);
}

TEST_CASE("checkpoint: the architecture is recorded, so load_model rebuilds the model alone") {
  TempDir dir;
  manual_seed(3);
  nn::Sequential net({2, 6, 6});
  net.add(nn::Standardize(1e-5f)).add(nn::ZeroPad2d(1, 0, 2, 1));
  net.add(nn::Conv2d(2, 4, 3, 1, 1)).add(nn::BatchNorm2d(4));
  nn::Sequential body;
  body.add(nn::Conv2d(4, 4, 3, 1, 1, false)).add(nn::LeakyReLU(0.2f));
  net.add(nn::Residual(std::move(body))).add(nn::MaxPool2d(2)).add(nn::AvgPool2d(1));
  net.add(nn::GlobalAvgPool2d()).add(nn::Flatten()).add(nn::Dropout(0.3f)).add(nn::Dense(4, 3));
  net.add(nn::Tanh()).add(nn::Sigmoid()).add(nn::ReLU());
  nn::Average average;  // an ensemble's join: the mean of two heads
  nn::Sequential tanh_head;
  tanh_head.add(nn::Dense(3, 2)).add(nn::Tanh());
  average.add(nn::Dense(3, 2)).add(std::move(tanh_head));
  net.add(std::move(average));
  save(net, dir.file("net.glia"));
  std::shared_ptr<nn::Module> loaded = io::load_model(dir.file("net.glia"));
  REQUIRE(loaded != nullptr);
  CHECK_FALSE(loaded->is_training());
  CHECK(state_of(*loaded) == state_of(net));
  net.eval();
  Rng rng(1);
  const Tensor x = Tensor::rand({2, 2, 6, 6}, rng);
  const Tensor a = net.forward(x), b = loaded->forward(x);
  CHECK((as_array(a) == as_array(b)).all());
  CHECK(dynamic_cast<nn::Sequential&>(*loaded).example_shape() == Shape{2, 6, 6});

  // A model with a module glia cannot describe is saved without an architecture.
  struct Custom : nn::Module {
    Tensor forward(const Tensor& x) override { return x; }
  };
  nn::Sequential custom;
  custom.add(nn::Dense(2, 2)).add(Custom());
  save(custom, dir.file("custom.glia"));
  CHECK_THROWS_WITH(io::load_model(dir.file("custom.glia")),
                    Contains("does not record an architecture"));
}

TEST_CASE("checkpoint: a bad recorded architecture is refused before anything is allocated") {
  TempDir dir;
  auto with_architecture = [&](const std::string& architecture) {
    const std::string path = dir.file("arch.glia");
    io::save_checkpoint(path, {{"weight", Tensor::zeros({2, 2})}, {"extra", Tensor::zeros({2})}},
                        "{\"architecture\": " + architecture + "}");
    return path;
  };
  CHECK_THROWS_WITH(io::load_model(with_architecture(
                        R"({"type": "Dense", "in": 1000000, "out": 1000000, "bias": true})")),
                    Contains("more parameters than its file"));
  CHECK_THROWS_WITH(io::load_model(with_architecture(R"({"type": "Conv3d"})")),
                    Contains("unknown layer type 'Conv3d'"));
  CHECK_THROWS_WITH(io::load_model(with_architecture(R"({"type": "Dense", "in": -2, "out": 2})")),
                    Contains("attribute 'in' is -2"));
  CHECK_THROWS_WITH(io::load_model(with_architecture(R"({"type": "Sequential", "layers": 7})")),
                    Contains("'layers'"));
  CHECK_THROWS_WITH(io::load_model(with_architecture(R"([1, 2])")), Contains("JSON object"));
  CHECK_THROWS_WITH(io::load_model(with_architecture(R"({"type": "Average", "branches": []})")),
                    Contains("non-empty list 'branches'"));
  // Well-formed, but its tensors are not the file's.
  CHECK_THROWS_WITH(
      io::load_model(with_architecture(R"({"type": "Dense", "in": 2, "out": 2, "bias": true})")),
      Contains("missing tensor 'bias'"));
}
