#include <glia/glia.hpp>
using namespace glia;
int main() {
  Rng rng(7);
  Tensor x = Tensor::rand({8, 3, 240, 240}, rng);  // uniform [0,1), NCHW
  Tensor y = Tensor::from(std::vector<float>{1, 0, 1, 1, 0, 0, 1, 0}, {8, 1});
  Tensor w = Tensor::randn({4, 3, 3, 3}, rng)
                 .requires_grad(true);  // requires_grad(bool) returns the tensor
  Tensor b = Tensor::zeros({4}).requires_grad(true);
  Tensor c = conv2d(x, w, b, /*stride=*/2, /*padding=*/1);
  sum(c * c).backward();  // w.grad(), b.grad() filled
  RunningStats running{Tensor::zeros({4}), Tensor::ones({4})};  // updated by training
  Tensor n = batch_norm(c, Tensor::ones({4}), Tensor::zeros({4}), running, /*training=*/true,
                        /*momentum=*/0.01f, /*eps=*/1e-3f);
  Tensor m = max_pool2d(relu(n), /*kernel=*/2, /*stride=*/2);
  nn::Sequential net;
  net.add(nn::ZeroPad2d(2));
  net.add(nn::Conv2d(3, 32, 7));
  net.add(nn::BatchNorm2d(32, 1e-3f, 0.01f));
  net.add(nn::ReLU());
  net.add(nn::MaxPool2d(4));
  net.add(nn::MaxPool2d(4));
  net.add(nn::Flatten());
  net.add(nn::Dense(6272, 1));
  net.summary();
  std::vector<Tensor> params =
      net.parameters();  // shares storage: params[0].data() writes into the net
  optim::Adam opt(params, optim::AdamOptions{1e-3f, 0.9f, 0.999f, 1e-7f});
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits(net.forward(x), y);
    loss.backward();
    opt.step();
    float l = loss.item();
  }
  std::vector<Tensor> bufs = net.buffers();
  net.eval();
  NoGradGuard no_grad;
  Tensor p = sigmoid(net.forward(x));  // {8,1}
  save(net, "net.glia");
  load(net, "net.glia");
  const float* d = p.data();
  int64_t k = p.numel();
}
