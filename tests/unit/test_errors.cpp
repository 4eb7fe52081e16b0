// Bad arguments: each throws std::invalid_argument whose message names the op and the shapes.
#include <catch2/catch.hpp>

#include <glia/glia.hpp>

using namespace glia;
using Catch::Contains;

TEST_CASE("errors: conv2d names the op and the shapes") {
  Tensor x = Tensor::zeros({1, 3, 5, 5});
  CHECK_THROWS_WITH(
      conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor()),
      Contains("glia::conv2d") && Contains("{1, 3, 5, 5}") && Contains("{4, 2, 3, 3}"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 7, 7}), Tensor()),
                    Contains("conv2d") && Contains("larger than the padded input"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), 1, -1),
                    Contains("padding must be non-negative"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor(), 0, 0), Contains("stride"));
  CHECK_THROWS_WITH(conv2d(x, Tensor::zeros({4, 3, 3, 3}), Tensor::zeros({3})),
                    Contains("bias {3}"));
  CHECK_THROWS_WITH(conv2d(Tensor::zeros({3, 5, 5}), Tensor::zeros({4, 3, 3, 3}), Tensor()),
                    Contains("{3, 5, 5}"));
}

TEST_CASE("errors: batch_norm, max_pool2d, zero_pad2d, linear, BCE, elementwise") {
  Tensor x = Tensor::zeros({2, 3, 4, 4});
  Tensor c3 = Tensor::ones({3}), c2 = Tensor::ones({2});
  RunningStats stats3{c3, c3};
  CHECK_THROWS_WITH(batch_norm(x, c2, c3, stats3, true),
                    Contains("batch_norm") && Contains("gamma") && Contains("{2}"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({1, 3, 1, 1}), c3, c3, stats3, true),
                    Contains("more than one value per channel"));
  CHECK_THROWS_WITH(max_pool2d(x, 5), Contains("max_pool2d") && Contains("larger than the input"));
  CHECK_THROWS_WITH(max_pool2d(x, 0), Contains("positive"));
  CHECK_THROWS_WITH(zero_pad2d(x, -1), Contains("zero_pad2d") && Contains("non-negative"));
  CHECK_THROWS_WITH(linear(Tensor::zeros({2, 5}), Tensor::zeros({3, 4})),
                    Contains("linear") && Contains("{2, 5}") && Contains("{3, 4}"));
  CHECK_THROWS_WITH(binary_cross_entropy_with_logits(Tensor::zeros({4, 1}), Tensor::zeros({4})),
                    Contains("{4, 1}") && Contains("{4}"));
  CHECK_THROWS_WITH(Tensor::zeros({2}) + Tensor::zeros({3}), Contains("add") && Contains("{3}"));
  CHECK_THROWS_WITH(reshape(x, {5, 5}), Contains("reshape") && Contains("{5, 5}"));
}

TEST_CASE("errors: layers and Sequential check shapes before running") {
  nn::Sequential net;
  net.add(nn::Conv2d(3, 4, 3));
  net.add(nn::Flatten());
  net.add(nn::Dense(10, 1));
  CHECK_THROWS_WITH(net.output_shape({1, 3, 8, 8}), Contains("Dense") && Contains("{1, 144}"));
  CHECK_THROWS_WITH(net.forward(Tensor::zeros({1, 3, 8, 8})), Contains("linear"));
  CHECK_THROWS_AS(nn::Conv2d(0, 4, 3), std::invalid_argument);
  CHECK_THROWS_AS(nn::MaxPool2d(0), std::invalid_argument);
  CHECK_THROWS_AS(nn::Dropout(1.0f), std::invalid_argument);
  CHECK_THROWS_AS(net[3], std::invalid_argument);
}

TEST_CASE("errors: the new ops name themselves and the shapes") {
  Tensor x = Tensor::zeros({2, 3, 4, 5});
  CHECK_THROWS_WITH(x + Tensor::zeros({2, 4}),
                    Contains("add") && Contains("{2, 3, 4, 5}") && Contains("{2, 4}"));
  CHECK_THROWS_WITH(x * Tensor::zeros({3, 2, 1, 1}),
                    Contains("mul") && Contains("do not broadcast"));
  CHECK_THROWS_WITH(sum(x, 4), Contains("sum") && Contains("dim 4 is out of range"));
  CHECK_THROWS_WITH(mean(x, {1, 1}), Contains("mean") && Contains("twice"));
  CHECK_THROWS_WITH(softmax(x, -5), Contains("softmax") && Contains("dim -5"));
  CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({3, 4}), Tensor::zeros({2})),
                    Contains("cross_entropy") && Contains("{3, 4}") && Contains("{2}"));
  CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({2, 4}), Tensor::from({1, 4}, {2})),
                    Contains("cross_entropy") && Contains("target 4"));
  CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({2, 4}), Tensor::from({1, 0.5f}, {2})),
                    Contains("not a class index"));
  CHECK_THROWS_WITH(cross_entropy(Tensor::zeros({2, 4}), Tensor::zeros({2}), 1.5f),
                    Contains("label_smoothing"));
  CHECK_THROWS_WITH(avg_pool2d(x, 5), Contains("avg_pool2d") && Contains("larger than the input"));
  CHECK_THROWS_WITH(global_avg_pool2d(Tensor::zeros({2, 3})),
                    Contains("global_avg_pool2d") && Contains("{2, 3}"));
  CHECK_THROWS_WITH(cat({x, Tensor::zeros({2, 3, 4, 6})}, 1),
                    Contains("cat") && Contains("{2, 3, 4, 6}"));
  CHECK_THROWS_WITH(cat({}, 0), Contains("cat"));
  Rng rng(1);
  CHECK_THROWS_WITH(dropout(x, 1.5f, true, rng), Contains("dropout") && Contains("1.5"));
  CHECK_THROWS_WITH(leaky_relu(Tensor(), 0.1f), Contains("leaky_relu"));
}
