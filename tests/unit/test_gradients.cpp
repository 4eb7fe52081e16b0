// Finite-difference gradient checks for every op and every layer, on odd sizes.
#include "gradcheck.hpp"

using namespace glia;
using glia::testing::check_gradients;
using glia::testing::distinct_values;

namespace {
Tensor param(const Shape& shape, Rng& rng, float scale = 1.0f) {
  return Tensor::rand(shape, rng, -scale, scale).requires_grad(true);
}
}  // namespace

TEST_CASE("gradient: elementwise add, sub, mul, neg and scalars") {
  Rng rng(1);
  Tensor a = param({3, 5}, rng), b = param({3, 5}, rng);
  check_gradients([](const auto& in) { return in[0] + in[1]; }, {a, b});
  check_gradients([](const auto& in) { return in[0] - in[1]; }, {a, b});
  check_gradients([](const auto& in) { return in[0] * in[1]; }, {a, b});
  check_gradients([](const auto& in) { return -in[0] * 3.0f + 2.0f; }, {a});
  check_gradients([](const auto& in) { return 1.5f - in[0] * in[0]; }, {a});
}

TEST_CASE("gradient: sum and mean") {
  Rng rng(2);
  Tensor a = param({2, 3, 5}, rng);
  check_gradients([](const auto& in) { return sum(in[0]); }, {a});
  check_gradients([](const auto& in) { return mean(in[0] * in[0]); }, {a});
}

TEST_CASE("gradient: relu and sigmoid") {
  Rng rng(3);
  Tensor a = distinct_values({3, 7}, rng, 0.3f).requires_grad(true);
  check_gradients([](const auto& in) { return relu(in[0]); }, {a});
  check_gradients([](const auto& in) { return sigmoid(in[0]); }, {a});
}

TEST_CASE("gradient: conv2d, stride and padding variants") {
  Rng rng(4);
  struct Case {
    Shape x, w;
    int64_t stride, padding;
  };
  const Case cases[] = {
      {{2, 3, 7, 9}, {4, 3, 3, 3}, 1, 0}, {{2, 3, 7, 9}, {4, 3, 3, 3}, 1, 1},
      {{1, 2, 9, 8}, {3, 2, 3, 5}, 2, 1}, {{2, 1, 8, 7}, {2, 1, 7, 7}, 1, 2},
      {{1, 3, 5, 6}, {2, 3, 2, 2}, 3, 2},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION("x " << shape_str(c.x) << " w " << shape_str(c.w) << " stride " << c.stride
                         << " padding " << c.padding) {
      Tensor x = param(c.x, rng), w = param(c.w, rng, 0.5f), b = param({c.w[0]}, rng);
      check_gradients(
          [&](const auto& in) { return conv2d(in[0], in[1], in[2], c.stride, c.padding); },
          {x, w, b});
    }
  }
}

TEST_CASE("gradient: conv2d with tiles of several output rows and no bias") {
  // 40 output columns x 75 patch rows: more than one row per tile, with a short last tile.
  Rng rng(5);
  Tensor x = param({1, 3, 13, 40}, rng), w = param({2, 3, 5, 5}, rng, 0.3f);
  check_gradients([](const auto& in) { return conv2d(in[0], in[1], Tensor(), 1, 2); }, {x, w});
}

TEST_CASE("gradient: batch_norm in training and inference") {
  Rng rng(6);
  Tensor x = param({3, 2, 3, 5}, rng), gamma = param({2}, rng), beta = param({2}, rng);
  for (bool training : {true, false}) {
    DYNAMIC_SECTION("training " << training) {
      RunningStats running{Tensor::from({0.1f, -0.2f}, {2}), Tensor::from({0.5f, 1.5f}, {2})};
      check_gradients(
          [&](const auto& in) {
            return batch_norm(in[0], in[1], in[2], running, training, 0.1f, 1e-3f);
          },
          {x, gamma, beta}, 1e-3, 5e-3);
    }
  }
  SECTION("{N, C} input") {
    Tensor x2 = param({5, 3}, rng), g2 = param({3}, rng), b2 = param({3}, rng);
    RunningStats running{Tensor::zeros({3}), Tensor::ones({3})};
    check_gradients(
        [&](const auto& in) { return batch_norm(in[0], in[1], in[2], running, true, 0.1f, 1e-3f); },
        {x2, g2, b2}, 1e-3, 5e-3);
  }
}

TEST_CASE("gradient: max_pool2d, overlapping and floor cases") {
  Rng rng(7);
  struct Case {
    Shape x;
    int64_t kernel, stride;
  };
  const Case cases[] = {
      {{2, 3, 8, 8}, 2, 2}, {{1, 2, 9, 11}, 3, 2}, {{2, 1, 13, 9}, 4, 4}, {{1, 2, 7, 5}, 2, 1}};
  for (const Case& c : cases) {
    DYNAMIC_SECTION("x " << shape_str(c.x) << " kernel " << c.kernel << " stride " << c.stride) {
      Tensor x = distinct_values(c.x, rng).requires_grad(true);
      check_gradients([&](const auto& in) { return max_pool2d(in[0], c.kernel, c.stride); }, {x});
    }
  }
}

TEST_CASE("gradient: zero_pad2d, reshape, flatten") {
  Rng rng(8);
  Tensor x = param({2, 3, 4, 5}, rng);
  check_gradients([](const auto& in) { return zero_pad2d(in[0], 2); }, {x});
  check_gradients([](const auto& in) { return zero_pad2d(in[0], 0, 1, 3, 2); }, {x});
  check_gradients([](const auto& in) { return flatten(in[0]); }, {x});
  check_gradients([](const auto& in) { return reshape(in[0], {6, 20}) * 2.0f; }, {x});
}

TEST_CASE("gradient: linear") {
  Rng rng(9);
  Tensor x = param({3, 7}, rng), w = param({5, 7}, rng), b = param({5}, rng);
  check_gradients([](const auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  check_gradients([](const auto& in) { return linear(in[0], in[1]); }, {x, w});
}

TEST_CASE("gradient: binary_cross_entropy_with_logits, logits and targets") {
  Rng rng(10);
  Tensor z = param({5, 1}, rng, 4.0f);
  Tensor t = Tensor::from({1, 0, 0.3f, 1, 0}, {5, 1}).requires_grad(true);
  check_gradients([](const auto& in) { return binary_cross_entropy_with_logits(in[0], in[1]); },
                  {z, t});
  const Tensor w = Tensor::from({0.5f, 2, 0, 1, 3}, {5, 1});
  check_gradients([&](const auto& in) { return binary_cross_entropy_with_logits(in[0], in[1], w); },
                  {z, t});
}

TEST_CASE("gradient: every layer of the seed network, through Sequential") {
  manual_seed(11);
  Rng rng(11);
  nn::Sequential net;
  net.add(nn::ZeroPad2d(1));
  net.add(nn::Conv2d(2, 3, 3));
  net.add(nn::BatchNorm2d(3));
  net.add(nn::ReLU());
  net.add(nn::MaxPool2d(2));
  net.add(nn::Flatten());
  net.add(nn::Dense(3 * 3 * 4, 2));
  net.add(nn::Sigmoid());
  Tensor x = param({2, 2, 7, 9}, rng);
  std::vector<Tensor> inputs{x};
  for (const Tensor& p : net.parameters()) inputs.push_back(p);
  check_gradients([&](const auto& in) { return net.forward(in[0]); }, inputs, 1e-3, 1e-2);
}

TEST_CASE("gradient: Conv2d layer with stride and padding, Dense without bias") {
  manual_seed(12);
  Rng rng(12);
  nn::Conv2d conv(2, 3, 3, /*stride=*/2, /*padding=*/1);
  Tensor x = param({1, 2, 7, 6}, rng);
  std::vector<Tensor> inputs{x};
  for (const Tensor& p : conv.parameters()) inputs.push_back(p);
  check_gradients([&](const auto& in) { return conv.forward(in[0]); }, inputs);

  nn::Dense dense(4, 3, /*bias=*/false);
  Tensor y = param({2, 4}, rng);
  check_gradients([&](const auto& in) { return dense.forward(in[0]); }, {y, dense.parameters()[0]});
}

TEST_CASE("gradient: broadcasting add, sub and mul (per channel, trailing axis, leading axes)") {
  Rng rng(20);
  Tensor x = param({2, 3, 2, 3}, rng);
  for (const Shape& other : {Shape{1, 3, 1, 1}, Shape{3}, Shape{3, 1, 1}, Shape{2, 1, 2, 3}}) {
    DYNAMIC_SECTION("with " << shape_str(other)) {
      Tensor c = param(other, rng);
      check_gradients([](const auto& in) { return in[0] + in[1]; }, {x, c});
      check_gradients([](const auto& in) { return in[1] - in[0]; }, {x, c});
      check_gradients([](const auto& in) { return in[0] * in[1]; }, {x, c});
    }
  }
}

TEST_CASE("gradient: sum and mean along axes, with and without keepdim") {
  Rng rng(21);
  Tensor x = param({2, 3, 4}, rng);
  check_gradients([](const auto& in) { return sum(in[0], 0); }, {x});
  check_gradients([](const auto& in) { return mean(in[0], -1, true); }, {x});
  check_gradients([](const auto& in) { return mean(in[0], {0, 2}); }, {x});
  check_gradients([](const auto& in) { return sum(in[0], {1, 2}, true); }, {x});
}

TEST_CASE("gradient: standardize, of images and of matrices") {
  Rng rng(23);
  Tensor x = param({2, 3, 4, 3}, rng, 2.0f), m = param({3, 6}, rng, 2.0f);
  check_gradients([](const auto& in) { return standardize(in[0]); }, {x});
  check_gradients([](const auto& in) { return standardize(in[0], 0.1f); }, {m});
  // A constant example maps to zeros, with a zero gradient.
  Tensor c = Tensor::full({1, 5}, 2.0f).requires_grad(true);
  Tensor y = standardize(c);
  for (int64_t i = 0; i < 5; ++i) CHECK(y.data()[i] == 0.0f);
  sum(y * Tensor::from({1, 2, 3, 4, 5}, {1, 5})).backward();
  for (int64_t i = 0; i < 5; ++i) CHECK(c.grad().data()[i] == 0.0f);
  CHECK_THROWS_WITH(standardize(Tensor::zeros({4})), Catch::Contains("expects x {N, ...}"));
  CHECK_THROWS_WITH(standardize(m, -1.0f), Catch::Contains("eps"));
}

TEST_CASE("gradient: softmax, log_softmax and cross_entropy") {
  Rng rng(22);
  Tensor x = param({3, 4, 2}, rng, 2.0f);
  check_gradients([](const auto& in) { return softmax(in[0], 1); }, {x});
  check_gradients([](const auto& in) { return log_softmax(in[0], -1); }, {x});
  Tensor z = param({4, 5}, rng, 3.0f);
  const Tensor t = Tensor::from({4, 0, 2, 4}, {4});
  check_gradients([&](const auto& in) { return cross_entropy(in[0], t); }, {z});
  check_gradients([&](const auto& in) { return cross_entropy(in[0], t, 0.3f); }, {z});
  const Tensor w = Tensor::from({0.25f, 0.75f, 0, 2}, {4});
  check_gradients([&](const auto& in) { return cross_entropy(in[0], t, 0.3f, w); }, {z});
}

TEST_CASE("gradient: leaky_relu, tanh, avg_pool2d, global_avg_pool2d, cat and dropout") {
  Rng rng(23);
  Tensor a = distinct_values({3, 7}, rng, 0.3f).requires_grad(true);
  check_gradients([](const auto& in) { return leaky_relu(in[0], 0.2f); }, {a});
  check_gradients([](const auto& in) { return glia::tanh(in[0]); }, {a});
  Tensor x = param({2, 2, 5, 6}, rng);
  check_gradients([](const auto& in) { return avg_pool2d(in[0], 2); }, {x});
  check_gradients([](const auto& in) { return avg_pool2d(in[0], 3, 2); }, {x});
  check_gradients([](const auto& in) { return global_avg_pool2d(in[0]); }, {x});
  Tensor b = param({2, 1, 5, 6}, rng), c = param({2, 3, 5, 6}, rng);
  check_gradients([](const auto& in) { return cat({in[0], in[1], in[2]}, 1); }, {x, b, c});
  Tensor wide = param({2, 2, 5, 3}, rng);
  check_gradients([](const auto& in) { return cat({in[0], in[1]}, -1); }, {x, wide});
  Rng mask(4);
  check_gradients(
      [&](const auto& in) {
        mask.reseed(4);  // the same mask on every call
        return dropout(in[0], 0.5f, true, mask);
      },
      {a});
}
