// Known values from PyTorch 1.13 (tests/golden/make_golden.py writes tests/data/).
#include <cmath>
#include <functional>

#include "golden_file.hpp"

using namespace glia;
using glia::testing::load_golden;
using glia::testing::require_close;

namespace {

Tensor leaf(const Tensor& t) {
  return t.clone().requires_grad(true);
}

}  // namespace

TEST_CASE("known values: conv2d forward and gradients match PyTorch") {
  auto g = load_golden("conv2d.txt");
  for (const char* tag : {"a", "b", "c"}) {
    DYNAMIC_SECTION("case " << tag) {
      auto at = [&](const char* name) { return g.at(std::string(tag) + "." + name); };
      Tensor x = leaf(at("x")), w = leaf(at("w")), b = leaf(at("b"));
      const int64_t stride = static_cast<int64_t>(at("stride_padding").data()[0]);
      const int64_t padding = static_cast<int64_t>(at("stride_padding").data()[1]);
      Tensor y = conv2d(x, w, b, stride, padding);
      require_close(y, at("y"));
      sum(y * at("r")).backward();
      require_close(x.grad(), at("dx"));
      require_close(w.grad(), at("dw"));
      require_close(b.grad(), at("db"));
    }
  }
}

TEST_CASE("known values: batch_norm in training updates running stats like PyTorch") {
  auto g = load_golden("batch_norm.txt");
  Tensor x = leaf(g.at("x")), gamma = leaf(g.at("gamma")), beta = leaf(g.at("beta"));
  Tensor rm = g.at("running_mean_before").clone(), rv = g.at("running_var_before").clone();
  RunningStats running{rm, rv};  // the op's output: updated in place
  Tensor y = batch_norm(x, gamma, beta, running, /*training=*/true, 0.01f, 1e-3f);
  require_close(y, g.at("train.y"));
  require_close(rm, g.at("train.running_mean"));
  require_close(rv, g.at("train.running_var"));
  sum(y * g.at("train.r")).backward();
  require_close(x.grad(), g.at("train.dx"), 1e-5, 1e-3);
  require_close(gamma.grad(), g.at("train.dgamma"));
  require_close(beta.grad(), g.at("train.dbeta"));
}

TEST_CASE("known values: batch_norm in inference uses running stats like PyTorch") {
  auto g = load_golden("batch_norm.txt");
  Tensor x = leaf(g.at("x")), gamma = leaf(g.at("gamma")), beta = leaf(g.at("beta"));
  Tensor rm = g.at("running_mean_before").clone(), rv = g.at("running_var_before").clone();
  RunningStats running{rm, rv};
  Tensor y = batch_norm(x, gamma, beta, running, /*training=*/false, 0.01f, 1e-3f);
  require_close(y, g.at("eval.y"));
  require_close(rm, g.at("running_mean_before"), 0, 0);  // untouched
  sum(y * g.at("eval.r")).backward();
  require_close(x.grad(), g.at("eval.dx"));
  require_close(gamma.grad(), g.at("eval.dgamma"));
  require_close(beta.grad(), g.at("eval.dbeta"));
}

TEST_CASE("known values: max_pool2d forward and gradient match PyTorch") {
  auto g = load_golden("max_pool2d.txt");
  for (const char* tag : {"a", "b", "c"}) {
    DYNAMIC_SECTION("case " << tag) {
      auto at = [&](const char* name) { return g.at(std::string(tag) + "." + name); };
      Tensor x = leaf(at("x"));
      const auto kernel = static_cast<int64_t>(at("kernel_stride").data()[0]);
      const auto stride = static_cast<int64_t>(at("kernel_stride").data()[1]);
      Tensor y = max_pool2d(x, kernel, stride);
      require_close(y, at("y"), 0, 0);
      sum(y * at("r")).backward();
      require_close(x.grad(), at("dx"), 1e-6, 1e-6);
    }
  }
}

TEST_CASE(
    "known values: BCE with logits is finite and exact for extreme logits, with weights too") {
  auto g = load_golden("bce.txt");
  Tensor z = leaf(g.at("logits"));
  Tensor loss = binary_cross_entropy_with_logits(z, g.at("targets"));
  require_close(loss, g.at("loss"), 1e-6, 1e-6);
  loss.backward();
  require_close(z.grad(), g.at("dlogits"), 1e-7, 1e-6);

  Tensor zw = leaf(g.at("logits"));
  Tensor weighted = binary_cross_entropy_with_logits(zw, g.at("targets"), g.at("weights"));
  require_close(weighted, g.at("weighted.loss"), 1e-6, 1e-6);
  weighted.backward();
  require_close(zw.grad(), g.at("weighted.dlogits"), 1e-7, 1e-6);
}

TEST_CASE(
    "known values: softmax, log_softmax, leaky_relu, tanh and axis reductions match PyTorch") {
  auto g = load_golden("ops_activations_reductions.txt");
  const std::pair<const char*, std::function<Tensor(const Tensor&)>> cases[] = {
      {"softmax1", [](const Tensor& t) { return softmax(t, 1); }},
      {"log_softmax_last", [](const Tensor& t) { return log_softmax(t, -1); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(t, 0.1f); }},
      {"tanh", [](const Tensor& t) { return glia::tanh(t); }},
      {"sum1", [](const Tensor& t) { return sum(t, 1); }},
      {"mean_last_keep", [](const Tensor& t) { return mean(t, -1, true); }},
      {"mean02",
       [](const Tensor& t) {
         return mean(t, {0, 2});
       }},
  };
  for (const auto& [tag, op] : cases) {
    DYNAMIC_SECTION(tag) {
      auto at = [&](const char* name) { return g.at(std::string(tag) + "." + name); };
      Tensor x = leaf(g.at("x"));
      Tensor y = op(x);
      require_close(y, at("y"));
      sum(y * at("r")).backward();
      require_close(x.grad(), at("dx"));
    }
  }
}

TEST_CASE(
    "known values: cross_entropy with and without label smoothing and row weights matches "
    "PyTorch") {
  auto g = load_golden("cross_entropy.txt");
  for (const auto& [tag, smoothing] :
       {std::pair<const char*, float>{"plain", 0.0f}, {"smoothed", 0.2f}}) {
    DYNAMIC_SECTION(tag) {
      Tensor z = leaf(g.at("logits"));
      Tensor loss = cross_entropy(z, g.at("targets"), smoothing);
      require_close(loss, g.at(std::string(tag) + ".loss"));
      loss.backward();
      require_close(z.grad(), g.at(std::string(tag) + ".dlogits"));
    }
  }
  SECTION("row weights") {
    Tensor z = leaf(g.at("logits"));
    Tensor loss = cross_entropy(z, g.at("targets"), 0.2f, g.at("row_weights"));
    require_close(loss, g.at("weighted.loss"));
    loss.backward();
    require_close(z.grad(), g.at("weighted.dlogits"));
  }
}

TEST_CASE("known values: avg_pool2d and global_avg_pool2d match PyTorch") {
  auto g = load_golden("avg_pool2d.txt");
  for (const char* tag : {"a", "b"}) {
    DYNAMIC_SECTION("case " << tag) {
      auto at = [&](const char* name) { return g.at(std::string(tag) + "." + name); };
      Tensor x = leaf(at("x"));
      const auto k = static_cast<int64_t>(at("kernel_stride").data()[0]);
      const auto s = static_cast<int64_t>(at("kernel_stride").data()[1]);
      Tensor y = avg_pool2d(x, k, s);
      require_close(y, at("y"));
      sum(y * at("r")).backward();
      require_close(x.grad(), at("dx"));
    }
  }
  Tensor x = leaf(g.at("global.x"));
  Tensor y = global_avg_pool2d(x);
  require_close(y, g.at("global.y"));
  sum(y * g.at("global.r")).backward();
  require_close(x.grad(), g.at("global.dx"));
}

TEST_CASE("known values: standardize matches PyTorch, gradients included") {
  auto g = load_golden("standardize.txt");
  for (const char* tag : {"image", "matrix"}) {
    DYNAMIC_SECTION(tag) {
      auto at = [&](const char* name) { return g.at(std::string(tag) + "." + name); };
      Tensor x = leaf(at("x"));
      Tensor y = standardize(x);
      require_close(y, at("y"));
      sum(y * at("r")).backward();
      require_close(x.grad(), at("dx"));
    }
  }
}

TEST_CASE("known values: cat matches PyTorch") {
  auto g = load_golden("cat.txt");
  Tensor a = leaf(g.at("a")), b = leaf(g.at("b"));
  Tensor y = cat({a, b}, 1);
  require_close(y, g.at("y"));
  sum(y * g.at("r")).backward();
  require_close(a.grad(), g.at("da"));
  require_close(b.grad(), g.at("db"));
}

TEST_CASE("known values: broadcasting add, sub and mul match PyTorch, gradients included") {
  auto g = load_golden("broadcast.txt");
  for (const char* tag : {"channel", "last", "column"}) {
    for (const char* op : {"add", "sub", "mul"}) {
      DYNAMIC_SECTION(tag << " " << op) {
        auto at = [&](const char* name) { return g.at(std::string(tag) + "." + op + "." + name); };
        Tensor x = leaf(g.at("x")), c = leaf(g.at(std::string(tag) + ".c"));
        const std::string o = op;
        Tensor y = o == "add" ? x + c : o == "sub" ? c - x : x * c;
        require_close(y, at("y"));
        sum(y * at("r")).backward();
        require_close(x.grad(), at("dx"));
        require_close(c.grad(), at("dc"), 1e-5, 2e-4);
      }
    }
  }
}

TEST_CASE(
    "known values: a residual CNN trained three AdamW steps with a cosine schedule matches "
    "PyTorch") {
  auto g = load_golden("resnet_adamw.txt");
  // Batch norm with PyTorch's defaults (eps 1e-5, momentum 0.1).
  auto conv_bn = [](nn::Sequential& s, int64_t in, int64_t out, int64_t stride) {
    s.add(nn::Conv2d(in, out, 3, stride, 1, false)).add(nn::BatchNorm2d(out, 1e-5f, 0.1f));
  };
  nn::Sequential net;
  conv_bn(net, 3, 8, 1);
  net.add(nn::ReLU());
  nn::Sequential body1;
  conv_bn(body1, 8, 8, 1);
  body1.add(nn::ReLU());
  conv_bn(body1, 8, 8, 1);
  net.add(nn::Residual(std::move(body1)));
  net.add(nn::ReLU());
  nn::Sequential body2, shortcut2;
  conv_bn(body2, 8, 16, 2);
  body2.add(nn::ReLU());
  conv_bn(body2, 16, 16, 1);
  shortcut2.add(nn::Conv2d(8, 16, 1, 2, 0, false)).add(nn::BatchNorm2d(16, 1e-5f, 0.1f));
  net.add(nn::Residual(std::move(body2), std::move(shortcut2)));
  net.add(nn::ReLU());
  net.add(nn::GlobalAvgPool2d());
  net.add(nn::Flatten());
  net.add(nn::Dropout(0.0f));
  net.add(nn::Dense(16, 3));

  for (const NamedTensor& p : net.named_parameters()) {
    INFO(p.name);
    Tensor t = p.tensor;
    REQUIRE(g.count("init." + p.name));
    as_array(t) = as_array(g.at("init." + p.name));
  }
  optim::AdamW opt(net.parameters(), optim::AdamWOptions{1e-2f, 0.9f, 0.999f, 1e-8f, 0.05f});
  optim::CosineAnnealingLR schedule(opt, 3, 1e-3);
  std::vector<float> losses;
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor loss = cross_entropy(net.forward(g.at("x")), g.at("targets"));
    loss.backward();
    opt.step();
    schedule.step();
    losses.push_back(loss.item());
  }
  require_close(Tensor::from(losses, {3}), g.at("losses"), 1e-5, 1e-4);
  for (const NamedTensor& s : net.named_state()) {
    INFO(s.name);
    require_close(s.tensor, g.at("final." + s.name), 2e-5, 2e-4);
  }
}
