#include <catch2/catch.hpp>

#include <glia/glia.hpp>

using namespace glia;

TEST_CASE("copies share storage") {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = a;
  b.data()[4] = 5.0f;
  CHECK(a.data()[4] == 5.0f);
  CHECK(reinterpret_cast<uintptr_t>(a.data()) % 64 == 0);
}
