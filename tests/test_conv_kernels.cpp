// The tuned conv2d kernels (AVX2 direct and packed) against the Eigen reference path.
#include <catch2/catch.hpp>

#include <glia/glia.hpp>

#include "golden_file.hpp"

using namespace glia;
using glia::testing::require_close;

namespace {

struct KernelGuard {  // restores automatic selection when a test ends
  ~KernelGuard() { set_conv_kernel(ConvKernel::automatic); }
};

bool cpu_has_avx2() {
  try {
    set_conv_kernel(ConvKernel::avx2);
    set_conv_kernel(ConvKernel::automatic);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

}  // namespace

TEST_CASE("conv2d kernels: AVX2 forward and weight gradient match the Eigen reference") {
  if (!cpu_has_avx2()) {
    WARN("this CPU has no AVX2 + FMA: only the reference path runs");
    return;
  }
  KernelGuard guard;
  struct Case {
    Shape x, w;
    int64_t stride, padding;
  };
  // Odd channel counts (not multiples of 4), widths with and without a partial panel of 24,
  // patch sizes not multiples of 3, padding (direct path on a padded copy), stride 2 (packed).
  const Case cases[] = {
      {{2, 3, 30, 53}, {32, 3, 7, 7}, 1, 0},  // the seed's layer, with a 23-column tail
      {{1, 3, 12, 48}, {32, 3, 7, 7}, 1, 0},  // whole panels only
      {{2, 5, 11, 29}, {6, 5, 3, 3}, 1, 1},   // O % 4 != 0: packed weight gradient
      {{1, 4, 17, 26}, {8, 4, 3, 3}, 1, 1},   // padded, direct
      {{2, 3, 15, 31}, {5, 3, 3, 3}, 2, 1},   // stride 2: packed im2col
      {{1, 2, 9, 70}, {4, 2, 2, 5}, 3, 2},
  };
  Rng rng(3);
  for (const Case& c : cases) {
    DYNAMIC_SECTION("x " << shape_str(c.x) << " w " << shape_str(c.w) << " stride " << c.stride
                         << " padding " << c.padding) {
      const Tensor x = Tensor::rand(c.x, rng, -1, 1), w = Tensor::rand(c.w, rng, -0.5, 0.5);
      const Tensor b = Tensor::rand({c.w[0]}, rng);
      set_conv_kernel(ConvKernel::reference);
      const Tensor y_ref = conv2d_forward(x, w, b, c.stride, c.padding);
      const Tensor gy = Tensor::rand(y_ref.shape(), rng, -1, 1);
      const auto [dw_ref, db_ref] =
          conv2d_backward_weights(gy, x, w.shape(), c.stride, c.padding, true);
      set_conv_kernel(ConvKernel::avx2);
      REQUIRE(active_conv_kernel() == ConvKernel::avx2);
      require_close(conv2d_forward(x, w, b, c.stride, c.padding), y_ref, 1e-5, 1e-4);
      const auto [dw, db] = conv2d_backward_weights(gy, x, w.shape(), c.stride, c.padding, true);
      require_close(dw, dw_ref, 1e-4, 1e-4);
      require_close(db, db_ref, 1e-5, 1e-5);
    }
  }
}

TEST_CASE("conv2d kernels: the reference path passes the same gradient check") {
  KernelGuard guard;
  set_conv_kernel(ConvKernel::reference);
  CHECK(active_conv_kernel() == ConvKernel::reference);
  Rng rng(8);
  Tensor x = Tensor::rand({1, 2, 6, 7}, rng, -1, 1).requires_grad(true);
  Tensor w = Tensor::rand({3, 2, 3, 3}, rng, -1, 1).requires_grad(true);
  sum(conv2d(x, w, Tensor(), 1, 1) * conv2d(x, w, Tensor(), 1, 1)).backward();
  const Tensor dw_reference = w.grad().clone();
  set_conv_kernel(ConvKernel::automatic);
  w.set_grad(Tensor());
  x.set_grad(Tensor());
  sum(conv2d(x, w, Tensor(), 1, 1) * conv2d(x, w, Tensor(), 1, 1)).backward();
  require_close(w.grad(), dw_reference, 1e-5, 1e-4);
}
