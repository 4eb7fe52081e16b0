// Every conv2d kernel the machine can run (AVX-512, AVX2, and the AVX-512 blocking emulated on
// AVX2) against the reference path, in all three directions, on odd shapes.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include <glia/glia.hpp>
#include <glia/support/cpu.hpp>

#include "../src/ops/conv2d/kernels.hpp"
#include "golden_file.hpp"

using namespace glia;
using glia::testing::require_close;

namespace {

struct IsaGuard {  // restores the automatic choice when a test ends
  ~IsaGuard() { reset_isa(); }
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
    CHECK(std::memcmp(y1.data(), y2.data(), sizeof(float) * static_cast<size_t>(y1.numel())) == 0);
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
