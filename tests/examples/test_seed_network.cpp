// The seed paper's network (examples/brain_tumor/seed_network.hpp) on glia: Keras' parameter
// counts and summary, the parameters' order and names, and three Adam steps against PyTorch.
#include <catch2/catch.hpp>

#include <sstream>

#include <glia/glia.hpp>

#include "golden_file.hpp"
#include "seed_network.hpp"

using namespace glia;
using Catch::Contains;
using glia::testing::formula;
using glia::testing::load_golden;
using glia::testing::require_close;

TEST_CASE("nn: the seed network has Keras' parameter counts and summary") {
  nn::Sequential net = brain_tumor::seed_network();
  CHECK(net.parameter_count() == 11073);
  CHECK(net.buffer_count() == 64);
  std::ostringstream out;
  net.summary(out, {1, 3, 240, 240});
  const std::string s = out.str();
  CHECK_THAT(s, Contains("Total params: 11,137"));
  CHECK_THAT(s, Contains("Trainable params: 11,073"));
  CHECK_THAT(s, Contains("Non-trainable params: 64"));
  CHECK_THAT(s, Contains("(None, 32, 238, 238)"));
  CHECK_THAT(s, Contains("(None, 6272)"));
  CHECK_THAT(s, Contains("4,736"));
  CHECK_THAT(s, Contains("6,273"));
  std::ostringstream no_shape;
  net.summary(no_shape);
  CHECK_THAT(no_shape.str(), Contains("Total params: 11,137"));
}

TEST_CASE("nn: parameter and buffer order, names, and shared storage") {
  nn::Sequential net = brain_tumor::seed_network();
  std::vector<nn::NamedTensor> p = net.named_parameters();
  REQUIRE(p.size() == 6);
  CHECK(p[0].name == "1.weight");
  CHECK(p[0].tensor.shape() == Shape{32, 3, 7, 7});
  CHECK(p[1].name == "1.bias");
  CHECK(p[2].name == "2.gamma");
  CHECK(p[3].name == "2.beta");
  CHECK(p[4].name == "7.weight");
  CHECK(p[4].tensor.shape() == Shape{1, 6272});
  CHECK(p[5].name == "7.bias");
  std::vector<nn::NamedTensor> b = net.named_buffers();
  REQUIRE(b.size() == 2);
  CHECK(b[0].name == "2.running_mean");
  CHECK(b[1].name == "2.running_var");
  // Writing through parameters() changes the layer.
  net.parameters()[5].data()[0] = 0.25f;
  CHECK(net.layer_as<nn::Dense>(7)->bias().data()[0] == 0.25f);
}

TEST_CASE("known values: three Adam steps of the seed network match PyTorch") {
  auto g = load_golden("adam_seed_network.txt");
  nn::Sequential net = brain_tumor::seed_network();
  std::vector<Tensor> params = net.parameters();
  REQUIRE(params.size() == 6);
  as_array(params[0]) = as_array(formula({32, 3, 7, 7}, 1.3, 0.5, 0.05));
  as_array(params[4]) = as_array(formula({1, 6272}, 0.37, 0.1, 0.01));
  const Tensor x = formula({2, 3, 240, 240}, 0.001, 0.3, 0.5, 0.5);
  const Tensor y = Tensor::from({1, 0}, {2, 1});

  optim::Adam opt(params, optim::AdamOptions{1e-3f, 0.9f, 0.999f, 1e-7f});
  std::vector<float> losses;
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits(net.forward(x), y);
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  require_close(Tensor::from(losses, {3}), g.at("losses"), 1e-4, 1e-4);
  // The conv bias feeds batch norm, which removes any per-channel shift: its true gradient is
  // zero, and what both frameworks compute is rounding noise that Adam normalises into steps
  // of about lr in either direction. After three steps each framework's bias lies within
  // 3 lr of zero, so the two can differ by 6 lr; that bound is what is checked.
  require_close(params[1], g.at("conv.bias"), 6e-3, 0);
  require_close(params[0], g.at("conv.weight"), 2e-5, 1e-3);
  require_close(params[2], g.at("bn.gamma"), 2e-5, 1e-3);
  require_close(params[3], g.at("bn.beta"), 2e-5, 1e-3);
  require_close(params[4], g.at("dense.weight"), 2e-5, 1e-3);
  require_close(params[5], g.at("dense.bias"), 2e-5, 1e-3);
  std::vector<Tensor> buffers = net.buffers();
  // The running mean is the mean of conv outputs, bias included: it inherits the bias's
  // noise scaled by momentum (0.01 per step, over three steps: at most 3 * 0.01 * 6 lr).
  require_close(buffers[0], g.at("bn.running_mean"), 2e-4, 1e-3);
  require_close(buffers[1], g.at("bn.running_var"), 1e-5, 1e-3);
}

