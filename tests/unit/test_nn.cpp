// nn: containers, copies, train/eval, batch-norm folding, and optimisers.
#include <catch2/catch.hpp>

#include <sstream>

#include <glia/glia.hpp>

#include "check_layer.hpp"

using namespace glia;
using Catch::Contains;

TEST_CASE("nn: Glorot-uniform init within Keras' limit, zero bias, seeded") {
  manual_seed(3);
  nn::Conv2d a(3, 32, 7);
  manual_seed(3);
  nn::Conv2d b(3, 32, 7);
  const float limit = std::sqrt(6.0f / (3 * 49 + 32 * 49));
  CHECK(as_array(a.weight()).abs().maxCoeff() <= limit);
  CHECK(as_array(a.weight()).abs().maxCoeff() > 0.9f * limit);
  CHECK((as_array(a.weight()) == as_array(b.weight())).all());
  CHECK(as_array(a.bias()).abs().maxCoeff() == 0.0f);
}

TEST_CASE("nn: train() and eval() switch batch norm between batch and running stats") {
  nn::Sequential net;
  net.add(nn::BatchNorm2d(2));
  Rng rng(1);
  Tensor x = Tensor::rand({4, 2, 3, 3}, rng, 1.0f, 2.0f);
  Tensor train_out = net.forward(x);
  CHECK(std::fabs(mean(train_out).item()) < 1e-5f);  // batch-normalised
  auto* bn = net.layer_as<nn::BatchNorm2d>(0);
  CHECK(bn->running_mean().data()[0] > 0.0f);  // updated by the training pass
  net.eval();
  CHECK_FALSE(bn->is_training());
  const float before = bn->running_mean().data()[0];
  Tensor eval_out = net.forward(x);
  CHECK(bn->running_mean().data()[0] == before);  // inference leaves the stats alone
  CHECK(mean(eval_out).item() > 0.5f);            // running stats are still near 0 / 1
}

// Values on a coarse grid: many exact ties and zeros, the cases where reordering could differ.
Tensor coarse_values(const Shape& shape, Rng& rng) {
  Tensor x = Tensor::empty(shape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    x.data()[i] = std::floor(rng.uniform(-4.0f, 4.0f)) / 4.0f;
  }
  return x;
}

// Why the models' builders put a ReLU after a following max pool (seed_network.hpp).
TEST_CASE("ops: max_pool2d(relu(x)) equals relu(max_pool2d(x)), values and gradients, bit for bit") {
  Rng rng(11);
  for (const int64_t stride : {2, 1}) {  // tiling windows, then overlapping ones
    CAPTURE(stride);
    const Tensor x = coarse_values({2, 3, 9, 8}, rng).requires_grad(true);
    const Tensor x_ref = x.detach().clone().requires_grad(true);
    const Tensor y = relu_(max_pool2d(x, 3, stride));
    const Tensor y_ref = max_pool2d(relu(x_ref), 3, stride);
    REQUIRE(y.shape() == y_ref.shape());
    CHECK((as_array(y) == as_array(y_ref)).all());
    const Tensor weights = coarse_values(y.shape(), rng);
    sum(y * weights).backward();
    sum(y_ref * weights).backward();
    CHECK((as_array(x.grad()) == as_array(x_ref.grad())).all());
    CHECK((as_array(x.grad()) != 0.0f).any());
  }
}

TEST_CASE("nn: Dropout is the identity in eval mode and keeps the mean in training") {
  nn::Dropout drop(0.5f);
  Tensor x = Tensor::ones({10000});
  Tensor y = drop.forward(x);
  CHECK(std::fabs(mean(y).item() - 1.0f) < 0.05f);
  CHECK((as_array(y) == 0.0f).count() > 4000);
  drop.eval();
  CHECK(drop.forward(x).shares_storage_with(x));
}

TEST_CASE("optim: SGD with momentum follows PyTorch's update") {
  Tensor p = Tensor::from({1.0f}, {1}).requires_grad(true);
  optim::SGD opt({p}, optim::SGDOptions{0.1f, 0.9f});
  // L = p^2: g = 2p. Step 1: buf = g = 2, p = 1 - 0.2 = 0.8.
  opt.zero_grad();
  sum(p * p).backward();
  opt.step();
  CHECK(p.item() == Approx(0.8f));
  // Step 2: g = 1.6, buf = 0.9 * 2 + 1.6 = 3.4, p = 0.8 - 0.34 = 0.46.
  opt.zero_grad();
  sum(p * p).backward();
  opt.step();
  CHECK(p.item() == Approx(0.46f));
}

TEST_CASE("optim: Adam's first step moves each parameter by lr against its gradient") {
  Tensor p = Tensor::from({1.0f, -2.0f, 0.5f}, {3}).requires_grad(true);
  optim::Adam opt({p}, optim::AdamOptions{0.01f, 0.9f, 0.999f, 1e-7f});
  opt.zero_grad();
  sum(p * Tensor::from({3.0f, -1.0f, 0.0f}, {3})).backward();
  opt.step();
  CHECK(p.data()[0] == Approx(0.99f).epsilon(1e-5));
  CHECK(p.data()[1] == Approx(-1.99f).epsilon(1e-5));
  CHECK(p.data()[2] == 0.5f);  // zero gradient: no move
  CHECK(opt.steps() == 1);
  CHECK_THROWS_AS(optim::Adam({Tensor::ones({1})}), std::invalid_argument);  // not a parameter
}

TEST_CASE("training: a fixed seed and thread count give bit-identical parameters") {
  auto train = [] {
    manual_seed(21);
    nn::Sequential net;
    net.add(nn::ZeroPad2d(1));
    net.add(nn::Conv2d(3, 8, 5));
    net.add(nn::BatchNorm2d(8));
    net.add(nn::ReLU());
    net.add(nn::MaxPool2d(2));
    net.add(nn::Flatten());
    net.add(nn::Dense(8 * 14 * 14, 1));
    optim::Adam opt(net.parameters());
    Rng rng(5);
    const Tensor x = Tensor::rand({6, 3, 30, 30}, rng);
    const Tensor y = Tensor::from({1, 0, 1, 0, 0, 1}, {6, 1});
    for (int step = 0; step < 3; ++step) {
      opt.zero_grad();
      binary_cross_entropy_with_logits(net.forward(x), y).backward();
      opt.step();
    }
    std::vector<float> state;
    for (const nn::NamedTensor& t : net.named_state()) {
      state.insert(state.end(), t.tensor.data(), t.tensor.data() + t.tensor.numel());
    }
    return state;
  };
  CHECK(train() == train());
}

TEST_CASE("nn: fold_batch_norm folds conv + batch norm for inference, exact up to rounding") {
  manual_seed(11);
  Rng rng(4);
  auto conv_bn = [](nn::Sequential& s, int64_t in, int64_t out, int64_t stride, bool bias) {
    s.add(nn::Conv2d(in, out, 3, stride, 1, bias)).add(nn::BatchNorm2d(out));
  };
  nn::Sequential net({3, 12, 12});
  conv_bn(net, 3, 8, 1, true);
  net.add(nn::ReLU());
  nn::Sequential body, shortcut;
  conv_bn(body, 8, 8, 2, false);
  body.add(nn::ReLU());
  conv_bn(body, 8, 8, 1, false);
  shortcut.add(nn::Conv2d(8, 8, 1, 2, 0, false)).add(nn::BatchNorm2d(8));
  net.add(nn::Residual(std::move(body), std::move(shortcut)));
  net.add(nn::GlobalAvgPool2d()).add(nn::Flatten()).add(nn::Dense(8, 2));
  // Batch-norm statistics and affine parameters away from their initial values.
  for (const NamedTensor& t : net.named_state()) {
    if (t.name.find("running_var") != std::string::npos ||
        t.name.find("gamma") != std::string::npos) {
      Tensor v = t.tensor;
      as_array(v) = as_array(Tensor::rand(v.shape(), rng, 0.5f, 2.0f));
    } else if (t.name.find("running_mean") != std::string::npos ||
               t.name.find("beta") != std::string::npos ||
               t.name.find("bias") != std::string::npos) {
      Tensor v = t.tensor;
      as_array(v) = as_array(Tensor::rand(v.shape(), rng, -1.0f, 1.0f));
    }
  }
  const std::vector<NamedTensor> before = net.named_state();
  std::vector<Tensor> saved;
  for (const NamedTensor& t : before) saved.push_back(t.tensor.clone());
  net.eval();
  const Tensor x = Tensor::rand({4, 3, 12, 12}, rng, -1, 1);
  NoGradGuard no_grad;
  const Tensor expected = net.forward(x);
  nn::Sequential folded = nn::fold_batch_norm(net);
  CHECK_FALSE(folded.is_training());
  CHECK(folded.size() == net.size() - 1);  // the stem's batch norm is gone
  CHECK(folded.buffer_count() == 0);       // every batch norm was folded, the residual's too
  const Tensor got = folded.forward(x);
  REQUIRE(got.shape() == expected.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    CHECK(got.data()[i] == Approx(expected.data()[i]).epsilon(1e-5).margin(1e-5));
  }
  // The original is untouched.
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK((as_array(before[i].tensor) == as_array(saved[i])).all());
  }
}

// Issue: `nn::Residual block(std::move(body)); net.add(block);` recursed until the stack
// overflowed. Each container, built as a named variable and added by value, is copied: training
// the model it went into leaves it as it was.
TEST_CASE("nn: containers added by value are deep copies, shared pointers are shared") {
  auto body = [] {
    nn::Sequential s;
    s.add(nn::Conv2d(2, 2, 3, 1, 1, false)).add(nn::BatchNorm2d(2)).add(nn::ReLU());
    return s;
  };
  nn::Residual residual(body());
  nn::Average average;
  average.add(body()).add(body());
  nn::Sequential sequential = body();
  Rng rng(3);
  const Tensor x = Tensor::randn({4, 2, 5, 5}, rng);
  for (nn::Module* original : std::vector<nn::Module*>{&residual, &average, &sequential}) {
    INFO(original->type_name());
    std::vector<Tensor> before;
    for (const NamedTensor& t : original->named_state()) before.push_back(t.tensor.clone());
    nn::Sequential net;
    if (original == &residual) net.add(residual);
    if (original == &average) net.add(average);
    if (original == &sequential) net.add(sequential);
    net.add(nn::GlobalAvgPool2d()).add(nn::Flatten());
    REQUIRE(net.parameter_count() == original->parameter_count());
    optim::SGD opt(net.parameters(), optim::SGDOptions{0.5f});
    for (int step = 0; step < 2; ++step) {
      opt.zero_grad();
      Tensor loss = mean(net.forward(x));
      loss.backward();
      opt.step();
    }
    const std::vector<NamedTensor> after = original->named_state();
    for (size_t i = 0; i < after.size(); ++i) {
      INFO(after[i].name);
      CHECK(testing::same_bits(after[i].tensor, before[i]));
      CHECK_FALSE(after[i].tensor.grad().defined());
    }
    // ... and the copy did train.
    bool moved = false;
    const std::vector<NamedTensor> trained = net.layer(0)->named_state();
    for (size_t i = 0; i < trained.size(); ++i)
      moved = moved || !testing::same_bits(trained[i].tensor, before[i]);
    CHECK(moved);
  }
  // A shared pointer is shared: training the model trains the module.
  auto shared = std::make_shared<nn::Residual>(body());
  const Tensor w0 = shared->parameters()[0].clone();
  nn::Sequential net;
  net.add(shared).add(nn::GlobalAvgPool2d()).add(nn::Flatten());
  optim::SGD opt(net.parameters(), optim::SGDOptions{0.5f});
  Tensor loss = mean(net.forward(x));
  loss.backward();
  opt.step();
  CHECK_FALSE(testing::same_bits(shared->parameters()[0], w0));
  // Copies pass check_layer, and copy assignment is deep too.
  nn::Residual copy = residual;
  testing::check_layer(copy, {2, 2, 4, 4});
  nn::Sequential assigned;
  assigned = sequential;
  CHECK_FALSE(assigned.parameters()[0].shares_storage_with(sequential.parameters()[0]));
}

TEST_CASE("nn: copying a container of a module without clone() is a clear error") {
  struct Plain : nn::Module {
    Tensor forward(const Tensor& x) override { return x; }
  };
  nn::Sequential net;
  net.add(std::make_shared<Plain>());
  CHECK_THROWS_WITH(nn::Sequential(net), Catch::Contains("does not implement clone()"));
}
