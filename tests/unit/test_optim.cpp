// Optimisers, schedules and gradient clipping.
#include <catch2/catch.hpp>

#include <cmath>

#include <glia/glia.hpp>

using namespace glia;

namespace {

Tensor parameter(std::vector<float> values) {
  const int64_t n = static_cast<int64_t>(values.size());
  return Tensor::from(values, {n}).requires_grad(true);
}

}  // namespace

TEST_CASE("optim: AdamW decays the weights apart from the gradient, as torch.optim.AdamW") {
  // One step from p = 2, g = 0.5 with lr 0.1, weight decay 0.5:
  //   AdamW: p = 2 * (1 - 0.1 * 0.5) - 0.1 * 1 = 1.8 (m / sqrt(v) = 1 after bias correction)
  //   Adam (L2): g = 0.5 + 0.5 * 2 = 1.5, p = 2 - 0.1 * 1 = 1.9
  Tensor a = parameter({2.0f}), b = parameter({2.0f});
  optim::AdamW adamw({a}, optim::AdamWOptions{0.1f, 0.9f, 0.999f, 0.0f, 0.5f});
  optim::Adam adam({b}, optim::AdamOptions{0.1f, 0.9f, 0.999f, 0.0f, 0.5f});
  a.set_grad(Tensor::full({1}, 0.5f));
  b.set_grad(Tensor::full({1}, 0.5f));
  adamw.step();
  adam.step();
  CHECK(a.data()[0] == Approx(1.8f));
  CHECK(b.data()[0] == Approx(1.9f));
  CHECK(adamw.steps() == 1);
}

TEST_CASE("optim: every optimiser has lr() and set_lr(), and rejects a negative rate") {
  Tensor p = parameter({1.0f});
  optim::Adam adam({p});
  optim::AdamW adamw({p});
  optim::SGD sgd({p}, optim::SGDOptions{0.5f});
  for (optim::Optimizer* opt : std::vector<optim::Optimizer*>{&adam, &adamw, &sgd}) {
    opt->set_lr(0.25f);
    CHECK(opt->lr() == 0.25f);
    CHECK_THROWS_AS(opt->set_lr(-1.0f), std::invalid_argument);
  }
}

TEST_CASE("optim: StepLR and CosineAnnealingLR follow PyTorch's closed forms, per epoch") {
  Tensor p = parameter({1.0f});
  optim::SGD sgd({p}, optim::SGDOptions{0.1f});
  optim::StepLR step(sgd, 2, 0.5);
  std::vector<float> rates{sgd.lr()};
  for (int e = 0; e < 5; ++e) {
    step.step();
    rates.push_back(sgd.lr());
  }
  CHECK(rates == std::vector<float>{0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f});

  optim::SGD sgd2({p}, optim::SGDOptions{1.0f});
  optim::CosineAnnealingLR cosine(sgd2, 4, 0.2);
  const double pi = 3.14159265358979323846;
  for (int e = 1; e <= 4; ++e) {
    cosine.step();
    CHECK(sgd2.lr() == Approx(0.2 + 0.8 * (1 + std::cos(pi * e / 4)) / 2));
  }
  CHECK(sgd2.lr() == Approx(0.2));
  cosine.set_epoch(2);  // resuming: the rate of epoch 2
  CHECK(sgd2.lr() == Approx(0.6));
  CHECK_THROWS_AS(optim::CosineAnnealingLR(sgd2, 0), std::invalid_argument);
  CHECK_THROWS_AS(optim::StepLR(sgd2, 1, -1.0), std::invalid_argument);
}

TEST_CASE("optim: clip_grad_norm scales all gradients together and returns the norm") {
  Tensor a = parameter({0, 0}), b = parameter({0});
  a.set_grad(Tensor::from({3.0f, 0.0f}, {2}));
  b.set_grad(Tensor::from({4.0f}, {1}));
  CHECK(optim::clip_grad_norm({a, b}, 10.0) == Approx(5.0));
  CHECK(b.grad().data()[0] == 4.0f);  // under the limit: untouched
  CHECK(optim::clip_grad_norm({a, b}, 1.0) == Approx(5.0));
  CHECK(a.grad().data()[0] == Approx(0.6f).epsilon(1e-5));
  CHECK(b.grad().data()[0] == Approx(0.8f).epsilon(1e-5));
  CHECK_THROWS_AS(optim::clip_grad_norm({a}, 0.0), std::invalid_argument);
}

TEST_CASE("optim: the optimiser's state round-trips, so training resumes exactly") {
  Rng rng(3);
  auto run = [&](optim::Optimizer& opt, Tensor& p, int steps) {
    for (int i = 0; i < steps; ++i) {
      p.set_grad(Tensor::full(p.shape(), 0.1f * static_cast<float>(i + 1)));
      opt.step();
    }
  };
  Tensor p1 = parameter({1.0f, -2.0f});
  optim::AdamW straight({p1});
  run(straight, p1, 4);

  Tensor p2 = parameter({1.0f, -2.0f});
  optim::AdamW first({p2});
  run(first, p2, 2);
  std::vector<NamedTensor> saved;
  for (const NamedTensor& s : first.state()) saved.push_back({s.name, s.tensor.clone()});
  optim::AdamW resumed({p2});
  resumed.load_state(saved);
  CHECK(resumed.steps() == 2);
  for (int i = 2; i < 4; ++i) {
    p2.set_grad(Tensor::full({2}, 0.1f * static_cast<float>(i + 1)));
    resumed.step();
  }
  CHECK(p2.data()[0] == p1.data()[0]);
  CHECK(p2.data()[1] == p1.data()[1]);
  saved.pop_back();
  CHECK_THROWS_WITH(resumed.load_state(saved), Catch::Contains("missing tensor 'step'"));
}
