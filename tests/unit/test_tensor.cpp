// Tensor, Rng and the autograd engine.
#include <catch2/catch.hpp>

#include <glia/glia.hpp>

using namespace glia;

TEST_CASE("tensor: copies share storage, clone and detach behave as documented") {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = a;
  b.data()[4] = 5.0f;
  CHECK(a.data()[4] == 5.0f);
  CHECK(reinterpret_cast<uintptr_t>(a.data()) % 64 == 0);
  Tensor c = a.clone();
  c.data()[4] = 1.0f;
  CHECK(a.data()[4] == 5.0f);
  CHECK(a.detach().shares_storage_with(a));
  CHECK_FALSE(c.shares_storage_with(a));
}

TEST_CASE("tensor: factories, shape queries and item") {
  Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.dim() == 2);
  CHECK(t.size(1) == 3);
  CHECK(Tensor::ones({3}).data()[2] == 1.0f);
  CHECK(Tensor::full({1}, 2.5f).item() == 2.5f);
  CHECK_THROWS_AS(t.item(), std::invalid_argument);
  CHECK_THROWS_AS(Tensor::from({1, 2, 3}, {2, 2}), std::invalid_argument);
  CHECK_THROWS_AS(t.size(2), std::invalid_argument);
  CHECK_THROWS_AS(Tensor().shape(), std::invalid_argument);
}

TEST_CASE("rng: seeded, reproducible, and in range") {
  Rng a(42), b(42), c(43);
  CHECK(a.next_u64() == b.next_u64());
  CHECK(a.next_u64() != c.next_u64());
  Rng r(1);
  double mean = 0.0, square = 0.0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const float u = r.uniform();
    REQUIRE(u >= 0.0f);
    REQUIRE(u < 1.0f);
    const float z = r.normal();
    mean += z / n;
    square += double(z) * z / n;
    REQUIRE(r.below(7) < 7u);
  }
  CHECK(std::fabs(mean) < 0.05);
  CHECK(std::fabs(square - 1.0) < 0.05);
  Tensor x = Tensor::rand({1000}, r, -2.0f, 3.0f);
  CHECK(as_array(x).minCoeff() >= -2.0f);
  CHECK(as_array(x).maxCoeff() < 3.0f);
}

TEST_CASE("autograd: gradients accumulate over uses and over backward calls") {
  Tensor a = Tensor::from({1, 2, 3}, {3}).requires_grad(true);
  Tensor y = sum(a * a + a);  // dy/da = 2a + 1
  y.backward();
  CHECK(a.grad().data()[0] == 3.0f);
  CHECK(a.grad().data()[2] == 7.0f);
  sum(a).backward();  // accumulates, like PyTorch
  CHECK(a.grad().data()[0] == 4.0f);
}

TEST_CASE("autograd: only inputs that need a gradient get one") {
  Rng rng(1);
  Tensor image = Tensor::rand({1, 2, 6, 6}, rng);  // no requires_grad: never gets a gradient
  Tensor w = Tensor::rand({3, 2, 3, 3}, rng).requires_grad(true);
  sum(conv2d(image, w, Tensor())).backward();
  CHECK(w.grad().defined());
  CHECK_FALSE(image.grad().defined());
  CHECK_FALSE(image.requires_grad());
}

TEST_CASE("autograd: NoGradGuard records nothing and restores the mode") {
  Tensor a = Tensor::ones({2}).requires_grad(true);
  {
    NoGradGuard no_grad;
    Tensor y = a * a;
    CHECK_FALSE(y.requires_grad());
    CHECK_THROWS_AS(sum(y).backward(), std::invalid_argument);
  }
  CHECK(GradMode::enabled());
  CHECK((a * a).requires_grad());
}

TEST_CASE("autograd: backward on a non-scalar or a freed graph throws") {
  Tensor a = Tensor::ones({2, 2}).requires_grad(true);
  Tensor y = a * a;
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("backward") && Catch::Contains("{2, 2}"));
  Tensor loss = sum(y);
  loss.backward();
  CHECK_THROWS_WITH(loss.backward(), Catch::Contains("already used"));
  CHECK_THROWS_AS(Tensor::ones({1}).backward(), std::invalid_argument);
}

TEST_CASE("autograd: a million-op chain is built, backpropagated and freed without recursion") {
  // Ordering and freeing the graph are iterative (the engine's DFS, ~Node): under ASan's larger
  // frames a recursive free of this chain overflows the stack.
  Tensor a = Tensor::ones({1}).requires_grad(true);
  {
    Tensor h = a;
    for (int i = 0; i < 1000000; ++i) h = h + 0.0f;
    h.backward();
  }
  CHECK(a.grad().item() == 1.0f);
  // Freed without a backward pass too (the closures still hold their captures).
  {
    Tensor h = a;
    for (int i = 0; i < 1000000; ++i) h = h * 1.0f;
  }
  CHECK(a.requires_grad());
}

TEST_CASE("autograd: results of ops cannot be marked as leaves") {
  Tensor a = Tensor::ones({1}).requires_grad(true);
  Tensor y = a * 2.0f;
  CHECK_THROWS_AS(y.requires_grad(true), std::invalid_argument);
  CHECK_FALSE(y.is_leaf());
}

TEST_CASE("in place: relu_ overwrites exactly the tensor it is given, relu never does") {
  Tensor a = Tensor::from({-1, 2, -3, 4}, {1, 1, 2, 2});
  Tensor keep = a;  // a second handle: relu_ writes through it all the same (it was asked to)
  Tensor r = relu(a);
  CHECK(a.data()[0] == -1.0f);
  CHECK_FALSE(r.shares_storage_with(a));
  Tensor r2 = relu_(a);
  CHECK(r2.shares_storage_with(a));
  CHECK(keep.data()[0] == 0.0f);
  CHECK(keep.data()[1] == 2.0f);
  CHECK((as_array(r2) == as_array(r)).all());

  Tensor one = Tensor::ones({1}), zero = Tensor::zeros({1});
  Tensor e = a.clone();
  RunningStats running{zero.clone(), one.clone()};
  Tensor n = batch_norm(e, one, zero, running, false, 0.1f, 1e-3f);
  CHECK_FALSE(n.shares_storage_with(e));
  CHECK(e.data()[1] == 2.0f);
  CHECK(n.data()[1] == Approx(2.0f / std::sqrt(1.001f)));
}

TEST_CASE("in place: relu_ after an op has relu's gradient, and refuses a parameter") {
  Tensor x = Tensor::from({-1, 2, -3, 4}, {4}).requires_grad(true);
  Tensor y = relu_(x * 2.0f);
  sum(y * Tensor::from({1, 1, 1, 1}, {4})).backward();
  CHECK(x.grad().data()[0] == 0.0f);
  CHECK(x.grad().data()[1] == 2.0f);
  CHECK(x.grad().data()[3] == 2.0f);
  Tensor p = Tensor::from({-1, 1}, {2}).requires_grad(true);
  CHECK_THROWS_WITH(relu_(p), Catch::Contains("cannot overwrite a leaf that requires grad"));
  CHECK(p.data()[0] == -1.0f);
}

TEST_CASE("autograd: a gradient given to two inputs is copied, so overwriting one is safe") {
  // a + b hands back one buffer for both; relu and batch norm overwrite theirs in backward.
  Tensor a = Tensor::from({-1, 2}, {2}).requires_grad(true);
  Tensor b = Tensor::from({3, -4}, {2}).requires_grad(true);
  Tensor s = relu(a * 1.0f) + b;
  sum(s * Tensor::from({5, 7}, {2})).backward();
  CHECK(a.grad().data()[0] == 0.0f);
  CHECK(a.grad().data()[1] == 7.0f);
  CHECK(b.grad().data()[0] == 5.0f);  // b's gradient was not masked by relu's
  CHECK(b.grad().data()[1] == 7.0f);
}
