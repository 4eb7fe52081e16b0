// The program, printing its losses and probabilities and comparing them with what
// PyTorch computes for the same data and initial weights (tests/data/contract_program.txt,
// written by tests/golden/make_golden.py, which reimplements glia::Rng in Python).
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <glia/glia.hpp>
using namespace glia;

static std::vector<float> golden_row(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  std::string header, values;
  while (std::getline(in, header)) {
    if (header.rfind(name + " ", 0) == 0 && std::getline(in, values)) {
      std::istringstream v(values);
      std::vector<float> out;
      for (float f; v >> f;) out.push_back(f);
      return out;
    }
  }
  throw std::runtime_error("no '" + name + "' in " + path);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: contract_numbers tests/data/contract_program.txt\n";
    return 2;
  }
  Rng rng(7);
  Tensor x = Tensor::rand({8, 3, 240, 240}, rng);
  Tensor y = Tensor::from(std::vector<float>{1, 0, 1, 1, 0, 0, 1, 0}, {8, 1});
  nn::Sequential net;
  net.add(nn::ZeroPad2d(2));
  net.add(nn::Conv2d(3, 32, 7));
  net.add(nn::BatchNorm2d(32, 1e-3f, 0.01f));
  net.add(nn::ReLU());
  net.add(nn::MaxPool2d(4));
  net.add(nn::MaxPool2d(4));
  net.add(nn::Flatten());
  net.add(nn::Dense(6272, 1));
  optim::Adam opt(net.parameters(), optim::AdamOptions{1e-3f, 0.9f, 0.999f, 1e-7f});
  std::vector<float> losses;
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits(net.forward(x), y);
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  net.eval();
  NoGradGuard no_grad;
  Tensor p = sigmoid(net.forward(x));

  const std::vector<float> want_losses = golden_row(argv[1], "losses");
  const std::vector<float> want_p = golden_row(argv[1], "p");
  double worst = 0.0;
  for (int i = 0; i < 3; ++i) {
    std::cout << "loss " << i << ": glia " << losses[i] << "  pytorch " << want_losses[i] << "\n";
    worst =
        std::max(worst, std::fabs(losses[i] - want_losses[i]) / (1.0 + std::fabs(want_losses[i])));
  }
  for (int i = 0; i < 8; ++i) {
    std::cout << "p[" << i << "]: glia " << p.data()[i] << "  pytorch " << want_p[i] << "\n";
    worst = std::max(worst, double(std::fabs(p.data()[i] - want_p[i])));
  }
  std::cout << "largest difference: " << worst << "\n";

  // The conv bias sits in front of batch norm, so its true gradient is zero and both
  // frameworks train it on rounding noise (Adam turns noise into steps of about lr). In eval
  // mode that bias, minus the running mean it fed, shifts the output: the probabilities above
  // can differ by ~1e-3 for that reason alone. With PyTorch's bias and running mean in place,
  // glia's eval forward must agree closely.
  const std::vector<float> bias = golden_row(argv[1], "conv_bias");
  const std::vector<float> running_mean = golden_row(argv[1], "running_mean");
  std::copy(bias.begin(), bias.end(), net.layer_as<nn::Conv2d>(1)->bias().data());
  std::copy(running_mean.begin(), running_mean.end(),
            net.layer_as<nn::BatchNorm2d>(2)->running_mean().data());
  Tensor q = sigmoid(net.forward(x));
  double worst_same_bias = 0.0;
  for (int i = 0; i < 8; ++i) {
    worst_same_bias = std::max(worst_same_bias, double(std::fabs(q.data()[i] - want_p[i])));
  }
  std::cout << "largest probability difference with PyTorch's conv bias: " << worst_same_bias
            << "\n";
  return worst <= 5e-3 && worst_same_bias <= 1e-4 ? 0 : 1;
}
