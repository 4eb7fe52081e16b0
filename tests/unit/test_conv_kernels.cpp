// Every conv2d kernel the machine can run (AVX-512, AVX2, and the AVX-512 blocking emulated on
// AVX2) against the reference path, in all three directions, on odd shapes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <iterator>
#include <utility>
#include <vector>

#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>

#include "../src/ops/conv2d/kernels.hpp"
#include "golden_file.hpp"

using namespace glia;
using glia::testing::require_close;

namespace {

struct IsaGuard {  // restores the automatic choices when a test ends
  ~IsaGuard() {
    reset_isa();
    set_conv_algorithm(ConvAlgorithm::automatic);
  }
};

struct Case {
  Shape x, w;
  int64_t stride, padding;
};

// Odd channel counts (1, 3, 5), output channels not multiples of a register block, widths not
// multiples of 8 or 16, stride 2 and 3, padding, non-square kernels, 1x1 kernels, wide rows (the
// kernels that read the input in place), and shapes of the benchmark suite scaled down.
const Case kCases[] = {
    {{2, 3, 30, 53}, {32, 3, 7, 7}, 1, 0},  // the seed's layer, narrower
    {{1, 1, 12, 19}, {5, 1, 3, 3}, 1, 1},
    {{2, 5, 11, 29}, {6, 5, 3, 3}, 1, 1},
    {{1, 16, 9, 13}, {32, 16, 3, 3}, 1, 1},
    {{2, 3, 15, 31}, {5, 3, 3, 3}, 2, 1},
    {{1, 2, 9, 70}, {4, 2, 2, 5}, 3, 2},
    {{2, 12, 7, 7}, {24, 12, 3, 3}, 1, 1},
    {{2, 8, 14, 14}, {16, 8, 1, 1}, 2, 0},
    {{1, 6, 10, 9}, {10, 6, 3, 3}, 2, 1},
    {{1, 3, 8, 8}, {7, 3, 5, 5}, 1, 4},  // padding larger than kernel - 1
    // Wide rows: the direct (no im2col) forward and weight gradient, with partial panels.
    {{1, 3, 9, 110}, {8, 3, 7, 7}, 1, 0},
    {{2, 5, 4, 101}, {16, 5, 3, 3}, 1, 1},
};

struct Directions {
  Tensor y, dx, dw, db;
};

Directions run_all(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& gy,
                   const Case& c) {
  Directions d;
  d.y = conv2d_forward(x, w, b, c.stride, c.padding);
  d.dx = conv2d_backward_input(gy, w, x.shape(), c.stride, c.padding);
  auto [dw, db] = conv2d_backward_weights(gy, x, w.shape(), c.stride, c.padding, true);
  d.dw = dw;
  d.db = db;
  return d;
}

Directions run_kernels(const conv::Kernels& k, const Tensor& x, const Tensor& w, const Tensor& b,
                       const Tensor& gy, const Case& c) {
  const conv::Geometry g(x.shape(), w.shape(), c.stride, c.padding, c.padding);
  Directions d{Tensor::empty(gy.shape()), Tensor::empty(x.shape()), Tensor::empty(w.shape()),
               Tensor::empty(b.shape())};
  k.forward(g, x.data(), w.data(), b.data(), d.y.data());
  k.backward_data(g, gy.data(), w.data(), d.dx.data());
  k.backward_weights(g, gy.data(), x.data(), d.dw.data(), d.db.data());
  return d;
}

void require_same(const Directions& got, const Directions& want) {
  require_close(got.y, want.y, 1e-5, 1e-4);
  require_close(got.dx, want.dx, 1e-5, 1e-4);
  require_close(got.dw, want.dw, 1e-4, 1e-4);
  require_close(got.db, want.db, 1e-4, 1e-5);
}

}  // namespace

TEST_CASE("conv2d kernels: every ISA this CPU runs matches the reference in all directions") {
  IsaGuard guard;
  set_conv_algorithm(ConvAlgorithm::direct);  // Winograd: its own test below
  Rng rng(3);
  for (const Case& c : kCases) {
    const Tensor x = Tensor::rand(c.x, rng, -1, 1), w = Tensor::rand(c.w, rng, -0.5, 0.5);
    const Tensor b = Tensor::rand({c.w[0]}, rng);
    const Shape y_shape = conv2d_output_shape(c.x, c.w, c.stride, c.padding);
    const Tensor gy = Tensor::rand(y_shape, rng, -1, 1);
    set_isa(Isa::reference);
    const Directions want = run_all(x, w, b, gy, c);
    for (Isa isa : {Isa::avx2, Isa::avx512}) {
      if (!cpu_supports(isa)) continue;
      DYNAMIC_SECTION(isa_name(isa) << ": x " << shape_str(c.x) << " w " << shape_str(c.w)
                                    << " stride " << c.stride << " padding " << c.padding) {
        set_isa(isa);
        require_same(run_all(x, w, b, gy, c), want);
      }
    }
    if (cpu_supports(Isa::avx2)) {
      DYNAMIC_SECTION("AVX-512 blocking emulated on AVX2: x " << shape_str(c.x) << " w "
                                                              << shape_str(c.w)) {
        require_same(run_kernels(conv::avx512_blocking_on_avx2_kernels(), x, w, b, gy, c), want);
      }
    }
  }
}

TEST_CASE("conv2d kernels: which ISAs this machine tested") {
  if (!cpu_supports(Isa::avx2)) WARN("this CPU has no AVX2 + FMA: only the reference path ran");
  if (!cpu_supports(Isa::avx512)) {
    WARN("this CPU has no AVX-512F: its kernels did not run here; their blocking ran on AVX2");
  }
  CHECK(cpu_supports(best_isa()));
}

TEST_CASE("conv2d kernels: a fixed ISA and thread count give bit-identical results") {
  IsaGuard guard;
  for (ConvAlgorithm algorithm : {ConvAlgorithm::direct, ConvAlgorithm::winograd}) {
    set_conv_algorithm(algorithm);
    Rng rng(5);
    const Tensor x = Tensor::rand({3, 6, 13, 17}, rng, -1, 1), w = Tensor::rand({8, 6, 3, 3}, rng);
    const Tensor gy = Tensor::rand({3, 8, 13, 17}, rng, -1, 1);
    for (Isa isa : {Isa::reference, Isa::avx2, Isa::avx512}) {
      if (!cpu_supports(isa)) continue;
      set_isa(isa);
      const auto [a, a_b] = conv2d_backward_weights(gy, x, w.shape(), 1, 1, true);
      const auto [b, b_b] = conv2d_backward_weights(gy, x, w.shape(), 1, 1, true);
      CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())) == 0);
      const Tensor y1 = conv2d_forward(x, w, Tensor(), 1, 1),
                   y2 = conv2d_forward(x, w, Tensor(), 1, 1);
      CHECK(std::memcmp(y1.data(), y2.data(), sizeof(float) * static_cast<size_t>(y1.numel())) ==
            0);
      const Tensor d1 = conv2d_backward_input(gy, w, x.shape(), 1, 1),
                   d2 = conv2d_backward_input(gy, w, x.shape(), 1, 1);
      CHECK(std::memcmp(d1.data(), d2.data(), sizeof(float) * static_cast<size_t>(d1.numel())) ==
            0);
    }
  }
}

TEST_CASE("conv2d kernels: set_isa and GLIA_ISA refuse what the CPU cannot run") {
  IsaGuard guard;
  CHECK(cpu_supports(Isa::reference));
  CHECK(parse_isa("avx2") == Isa::avx2);
  CHECK_FALSE(parse_isa("sse9").has_value());
  if (!cpu_supports(Isa::avx512)) {
    CHECK_THROWS_WITH(set_isa(Isa::avx512), Catch::Contains("cannot run avx512"));
  }
  set_isa(Isa::reference);
  CHECK(active_isa() == Isa::reference);
  reset_isa();
  CHECK(active_isa() ==
        (std::getenv("GLIA_ISA") ? *parse_isa(std::getenv("GLIA_ISA")) : best_isa()));
}

namespace {

// |got - want| <= tolerance * scale + 1e-6 elementwise, where scale is the same computation on
// absolute values (sum over the products of |x| and |w|): a forward-error bound, which does not
// depend on how the products cancel.
void require_within(const Tensor& got, const Tensor& want, const Tensor& scale, double tolerance,
                    double& worst) {
  REQUIRE(got.shape() == want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double err = std::fabs(static_cast<double>(got.data()[i]) - want.data()[i]);
    const double allowed = tolerance * scale.data()[i] + 1e-6;
    worst = std::max(worst, err / (scale.data()[i] + 1e-30));
    if (err > allowed) {
      FAIL_CHECK("element " << i << ": " << got.data()[i] << " against " << want.data()[i]
                            << ", error " << err << " over " << allowed);
      return;
    }
  }
}

Tensor absolute(const Tensor& t) {
  Tensor a = t.clone();
  as_array(a) = as_array(a).abs();
  return a;
}

}  // namespace

// Winograd F(4x4, 3x3) against the direct reference: the error is bounded relative to the sums of
// absolute products (kWinogradTolerance; docs/performance.md says why this bound), on odd sizes
// (partial tiles), padding 0, 1 and 2, channel counts that fill no register block, and a layer
// at the scale training gives it (unit-variance activations, He-initialised weights).
TEST_CASE("conv2d Winograd: every ISA this CPU runs is within its error bound of the reference") {
  IsaGuard guard;
  constexpr double kWinogradTolerance = 1e-5;
  struct WCase {
    Shape x, w;
    int64_t padding;
    float x_scale, w_scale;
  };
  const WCase cases[] = {
      {{2, 3, 11, 13}, {5, 3, 3, 3}, 1, 1, 0.5f},
      {{1, 17, 9, 14}, {19, 17, 3, 3}, 1, 1, 0.5f},
      {{2, 8, 7, 6}, {16, 8, 3, 3}, 0, 1, 0.5f},
      {{1, 16, 10, 9}, {33, 16, 3, 3}, 2, 1, 0.5f},
      {{1, 1, 5, 5}, {1, 1, 3, 3}, 1, 1, 1},
      {{2, 128, 14, 14}, {64, 128, 3, 3}, 1, 1, 0.042f},  // real scale: He init sqrt(2/(9*128))
  };
  Rng rng(9);
  double worst = 0;
  for (const WCase& c : cases) {
    const Tensor x = Tensor::randn(c.x, rng) * c.x_scale;
    const Tensor w = Tensor::randn(c.w, rng) * c.w_scale;
    const Tensor b = Tensor::rand({c.w[0]}, rng);
    const Tensor gy = Tensor::randn(conv2d_output_shape(c.x, c.w, 1, c.padding), rng);
    set_isa(Isa::reference);
    const Directions want = run_all(x, w, b, gy, Case{c.x, c.w, 1, c.padding});
    const Directions scale =
        run_all(absolute(x), absolute(w), absolute(b), absolute(gy), Case{c.x, c.w, 1, c.padding});
    auto check = [&](const Directions& got) {
      require_within(got.y, want.y, scale.y, kWinogradTolerance, worst);
      require_within(got.dx, want.dx, scale.dx, kWinogradTolerance, worst);
      require_within(got.dw, want.dw, scale.dw, kWinogradTolerance, worst);
      require_close(got.db, want.db, 1e-4, 1e-5);
    };
    for (Isa isa : {Isa::avx2, Isa::avx512}) {
      if (!cpu_supports(isa)) continue;
      DYNAMIC_SECTION(isa_name(isa) << " Winograd: x " << shape_str(c.x) << " w " << shape_str(c.w)
                                    << " padding " << c.padding) {
        set_isa(isa);
        set_conv_algorithm(ConvAlgorithm::winograd);
        REQUIRE(std::string(conv2d_algorithm(c.x, c.w, 1, c.padding)) == "winograd");
        check(run_all(x, w, b, gy, Case{c.x, c.w, 1, c.padding}));
      }
    }
    if (cpu_supports(Isa::avx2)) {
      DYNAMIC_SECTION("AVX-512 Winograd blocking emulated on AVX2: x " << shape_str(c.x)) {
        const conv::Kernels& k = conv::avx512_blocking_on_avx2_kernels();
        const conv::Geometry g(x.shape(), w.shape(), 1, c.padding, c.padding);
        Directions d{Tensor::empty(gy.shape()), Tensor::empty(x.shape()), Tensor::empty(w.shape()),
                     Tensor::empty(b.shape())};
        k.winograd_forward(g, x.data(), w.data(), b.data(), d.y.data());
        k.winograd_backward_data(g, gy.data(), w.data(), d.dx.data());
        k.winograd_backward_weights(g, gy.data(), x.data(), d.dw.data(), d.db.data());
        check(d);
      }
    }
  }
  INFO("the largest error seen, relative to the sums of absolute products: " << worst);
  CHECK(worst < kWinogradTolerance);
}

TEST_CASE("conv2d Winograd: the automatic rule and GLIA_CONV=direct") {
  IsaGuard guard;
  if (!cpu_supports(Isa::avx2)) return;
  set_isa(Isa::avx2);
  CHECK(std::string(conv2d_algorithm({8, 64, 56, 56}, {64, 64, 3, 3}, 1, 1)) == "winograd");
  CHECK(std::string(conv2d_algorithm({8, 3, 56, 56}, {16, 3, 3, 3}, 1, 1)) == "direct");
  CHECK(std::string(conv2d_algorithm({8, 64, 56, 56}, {64, 64, 3, 3}, 2, 1)) == "direct");
  CHECK(std::string(conv2d_algorithm({8, 64, 56, 56}, {64, 64, 1, 1}, 1, 0)) == "direct");
  // direct: the kernels of glia before Winograd, bit for bit.
  set_conv_algorithm(ConvAlgorithm::direct);
  CHECK(std::string(conv2d_algorithm({8, 64, 56, 56}, {64, 64, 3, 3}, 1, 1)) == "direct");
  Rng rng(2);
  const Tensor x = Tensor::rand({2, 16, 9, 9}, rng), w = Tensor::rand({16, 16, 3, 3}, rng);
  const conv::Geometry g(x.shape(), w.shape(), 1, 1, 1);
  Tensor y = Tensor::empty({2, 16, 9, 9});
  conv::avx2_kernels().forward(g, x.data(), w.data(), nullptr, y.data());
  const Tensor auto_y = conv2d_forward(x, w, Tensor(), 1, 1);
  CHECK(std::memcmp(auto_y.data(), y.data(), sizeof(float) * static_cast<size_t>(y.numel())) == 0);
  set_isa(Isa::reference);
  CHECK(std::string(conv2d_algorithm({8, 64, 56, 56}, {64, 64, 3, 3}, 1, 1)) == "reference");
}

// The channels-last weight gradient of every ISA block against the reference: the odd shapes
// above (called directly, whatever its padding waste: it must be right on every shape), and
// deep layers like the ones the automatic rule gives it, at stride 1 and 2 and several images
// per band (7x7 and 4x4 outputs).
TEST_CASE("conv2d channels-last weight gradient: every ISA block matches the reference") {
  IsaGuard guard;
  std::vector<Case> cases(std::begin(kCases), std::end(kCases));
  cases.push_back({{3, 32, 14, 15}, {64, 32, 3, 3}, 1, 1});
  cases.push_back({{5, 40, 7, 7}, {32, 40, 3, 3}, 1, 1});
  cases.push_back({{3, 24, 15, 13}, {48, 24, 3, 3}, 2, 1});
  cases.push_back({{4, 64, 8, 8}, {32, 64, 1, 1}, 2, 0});
  std::vector<std::pair<const char*, const conv::Kernels*>> blocks;
  if (cpu_supports(Isa::avx2)) {
    blocks.push_back({"avx2", &conv::avx2_kernels()});
    blocks.push_back({"AVX-512 blocking on AVX2", &conv::avx512_blocking_on_avx2_kernels()});
  }
  if (cpu_supports(Isa::avx512)) blocks.push_back({"avx512", &conv::avx512_kernels()});
  Rng rng(11);
  for (const Case& c : cases) {
    const Tensor x = Tensor::rand(c.x, rng, -1, 1);
    const Tensor gy = Tensor::rand(conv2d_output_shape(c.x, c.w, c.stride, c.padding), rng, -1, 1);
    set_isa(Isa::reference);
    const auto [want_w, want_b] = conv2d_backward_weights(gy, x, c.w, c.stride, c.padding, true);
    for (const auto& [name, kernels] : blocks) {
      DYNAMIC_SECTION(name << ": x " << shape_str(c.x) << " w " << shape_str(c.w) << " stride "
                           << c.stride << " padding " << c.padding) {
        const conv::Geometry g(c.x, c.w, c.stride, c.padding, c.padding);
        Tensor dw = Tensor::empty(c.w), db = Tensor::empty({c.w[0]});
        kernels->channels_last_backward_weights(g, gy.data(), x.data(), dw.data(), db.data());
        require_close(dw, want_w, 1e-4, 1e-4);
        require_close(db, want_b, 1e-4, 1e-5);
        Tensor again = Tensor::empty(c.w);
        kernels->channels_last_backward_weights(g, gy.data(), x.data(), again.data(), nullptr);
        CHECK(std::memcmp(again.data(), dw.data(),
                          sizeof(float) * static_cast<size_t>(dw.numel())) == 0);
      }
    }
  }
}

TEST_CASE(
    "conv2d channels-last weight gradient: the automatic rule, and direct keeps the old "
    "kernels") {
  IsaGuard guard;
  if (!cpu_supports(Isa::avx2)) return;
  set_isa(Isa::avx2);
  const conv::Kernels& k = conv::avx2_kernels();
  CHECK(k.channels_last_weights_apply(conv::Geometry({8, 64, 28, 28}, {128, 64, 3, 3}, 2, 1, 1)));
  CHECK(k.channels_last_weights_apply(conv::Geometry({8, 128, 28, 28}, {256, 128, 1, 1}, 2, 0, 0)));
  // Few channels: padded to whole blocks they would waste more than a quarter of the work.
  CHECK_FALSE(k.channels_last_weights_apply(conv::Geometry({8, 3, 56, 56}, {5, 3, 3, 3}, 1, 1, 1)));
  // The seed's input layer (3 channels) unfolded along its 7 kernel rows (21 channels); at
  // stride 2 (ResNet's stem) there is no unfolding, and 3 channels would waste most of a block.
  CHECK(k.channels_last_weights_apply(conv::Geometry({8, 3, 244, 244}, {32, 3, 7, 7}, 1, 0, 0)));
  CHECK_FALSE(
      k.channels_last_weights_apply(conv::Geometry({8, 3, 224, 224}, {64, 3, 7, 7}, 2, 3, 3)));
  // The channels-last forward pass: strided 3x3 layers; the input gradient: stride 1.
  CHECK(k.channels_last_forward_applies(conv::Geometry({8, 64, 56, 56}, {128, 64, 3, 3}, 2, 1, 1)));
  CHECK_FALSE(
      k.channels_last_forward_applies(conv::Geometry({8, 64, 56, 56}, {64, 64, 3, 3}, 1, 1, 1)));
  CHECK_FALSE(
      k.channels_last_forward_applies(conv::Geometry({8, 128, 28, 28}, {256, 128, 1, 1}, 2, 0, 0)));
  CHECK(k.channels_last_backward_data_applies(
      conv::Geometry({8, 512, 7, 7}, {512, 512, 3, 3}, 1, 1, 1)));
  CHECK_FALSE(k.channels_last_backward_data_applies(
      conv::Geometry({8, 64, 56, 56}, {128, 64, 3, 3}, 2, 1, 1)));
  // GLIA_CONV=direct: what glia computed before this kernel, bit for bit.
  Rng rng(4);
  const Tensor x = Tensor::rand({2, 32, 9, 9}, rng), gy = Tensor::rand({2, 32, 5, 5}, rng);
  const conv::Geometry g(x.shape(), {32, 32, 3, 3}, 2, 1, 1);
  Tensor old_w = Tensor::empty({32, 32, 3, 3}), new_w = Tensor::empty({32, 32, 3, 3});
  k.backward_weights(g, gy.data(), x.data(), old_w.data(), nullptr);
  k.channels_last_backward_weights(g, gy.data(), x.data(), new_w.data(), nullptr);
  set_conv_algorithm(ConvAlgorithm::direct);
  const Tensor direct_w = conv2d_backward_weights(gy, x, {32, 32, 3, 3}, 2, 1, false).first;
  CHECK(std::memcmp(direct_w.data(), old_w.data(), sizeof(float) * 32 * 32 * 9) == 0);
  set_conv_algorithm(ConvAlgorithm::automatic);
  const Tensor auto_w = conv2d_backward_weights(gy, x, {32, 32, 3, 3}, 2, 1, false).first;
  CHECK(std::memcmp(auto_w.data(), new_w.data(), sizeof(float) * 32 * 32 * 9) == 0);
}

// The channels-last forward pass and stride-1 input gradient of every ISA block against the
// reference, on the same shapes (called directly, whatever their padding waste), plus rows
// whose widths leave every partial position block (1 to 13 positions) at the end.
TEST_CASE(
    "conv2d channels-last forward and input gradient: every ISA block matches the "
    "reference") {
  IsaGuard guard;
  std::vector<Case> cases(std::begin(kCases), std::end(kCases));
  cases.push_back({{3, 32, 14, 15}, {64, 32, 3, 3}, 1, 1});
  cases.push_back({{2, 40, 7, 7}, {32, 40, 3, 3}, 1, 1});
  cases.push_back({{3, 24, 15, 13}, {48, 24, 3, 3}, 2, 1});
  cases.push_back({{2, 64, 8, 8}, {32, 64, 1, 1}, 2, 0});
  for (int64_t width = 1; width <= 14; ++width)
    cases.push_back({{1, 8, 3, width}, {16, 8, 1, 3}, 1, 1});
  std::vector<std::pair<const char*, const conv::Kernels*>> blocks;
  if (cpu_supports(Isa::avx2)) {
    blocks.push_back({"avx2", &conv::avx2_kernels()});
    blocks.push_back({"AVX-512 blocking on AVX2", &conv::avx512_blocking_on_avx2_kernels()});
  }
  if (cpu_supports(Isa::avx512)) blocks.push_back({"avx512", &conv::avx512_kernels()});
  Rng rng(12);
  for (const Case& c : cases) {
    const Tensor x = Tensor::rand(c.x, rng, -1, 1), w = Tensor::rand(c.w, rng, -0.5, 0.5);
    const Tensor b = Tensor::rand({c.w[0]}, rng);
    const Tensor gy = Tensor::rand(conv2d_output_shape(c.x, c.w, c.stride, c.padding), rng, -1, 1);
    set_isa(Isa::reference);
    const Tensor want_y = conv2d_forward(x, w, b, c.stride, c.padding);
    const Tensor want_y_nobias = conv2d_forward(x, w, Tensor(), c.stride, c.padding);
    const Tensor want_dx = conv2d_backward_input(gy, w, c.x, c.stride, c.padding);
    const conv::Geometry g(c.x, c.w, c.stride, c.padding, c.padding);
    for (const auto& [name, kernels] : blocks) {
      DYNAMIC_SECTION(name << ": x " << shape_str(c.x) << " w " << shape_str(c.w) << " stride "
                           << c.stride << " padding " << c.padding) {
        Tensor y = Tensor::empty(want_y.shape());
        kernels->channels_last_forward(g, x.data(), w.data(), b.data(), y.data());
        require_close(y, want_y, 1e-5, 1e-4);
        kernels->channels_last_forward(g, x.data(), w.data(), nullptr, y.data());
        require_close(y, want_y_nobias, 1e-5, 1e-4);
        // The input gradient as a forward pass needs stride 1 and padding at most K - 1.
        if (c.stride == 1 && c.padding <= c.w[2] - 1 && c.padding <= c.w[3] - 1) {
          Tensor dx = Tensor::empty(c.x);
          kernels->channels_last_backward_data(g, gy.data(), w.data(), dx.data());
          require_close(dx, want_dx, 1e-5, 1e-4);
        }
      }
    }
  }
}
