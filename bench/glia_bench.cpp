// glia's benchmarks (Google Benchmark). Times are wall-clock (UseRealTime): the kernels run on
// every OpenMP thread. Run: build/bench/glia_bench  (see docs/performance.md).
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <chrono>

#include <glia/glia.hpp>
#include <glia/support/resources.hpp>

#include "seed_network.hpp"

#include "peak_flops.hpp"

using namespace glia;

namespace {

Tensor labels(int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<float>(i % 2);
  return Tensor::from(y, {n, 1});
}

// GFLOP/s and percent of the measured FMA peak, from the benchmark's own wall time.
void set_flop_counters(benchmark::State& state, double flops_per_iteration, double seconds) {
  const double gflops =
      flops_per_iteration * static_cast<double>(state.iterations()) / seconds / 1e9;
  state.counters["GFLOP/s"] = gflops;
  const double peak = bench::peak_gflops();
  if (peak > 0) state.counters["%peak"] = gflops / peak * 100;
}

// Wall time of the timed loop (UseRealTime reports the same; counters need it as a number).
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Shown as "GB=<n>/s": a rate over the benchmark's timer, which honours PauseTiming.
void set_bandwidth_counter(benchmark::State& state, double bytes_per_iteration) {
  state.counters["GB"] =
      benchmark::Counter(bytes_per_iteration * static_cast<double>(state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}

// --- near-duplicate search (glia::vision) -----------------------------------------------------

// Head-like images: a textured ellipse on black, as brain scans are, so that most pairs have
// thumbnails alike enough to need the aligned NCC (the costly case).
io::Image head_like(uint64_t seed, int size = 128) {
  Rng rng(seed);
  const double a = rng.uniform(0.3f, 0.45f) * size, b = rng.uniform(0.35f, 0.48f) * size;
  const double fx = rng.uniform(0.05f, 0.3f), fy = rng.uniform(0.05f, 0.3f);
  io::Image image(size, size, 1);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const double u = (x - size / 2.0) / a, v = (y - size / 2.0) / b;
      const double inside = u * u + v * v <= 1.0 ? 1.0 : 0.0;
      image.at(y, x, 0) = static_cast<uint8_t>(
          inside * (110 + 50 * std::sin(fx * x + seed) * std::cos(fy * y)) + rng.uniform(0, 10));
    }
  return image;
}

void BM_Fingerprint(benchmark::State& state) {
  const io::Image image = head_like(1, 240);
  for (auto _ : state) benchmark::DoNotOptimize(vision::fingerprint(image).phash[0]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Fingerprint)->Unit(benchmark::kMicrosecond)->UseRealTime();

// All pairs of n images (the yardstick: 2,000 in seconds).
void BM_NearDuplicates(benchmark::State& state) {
  std::vector<vision::Fingerprint> prints;
  for (int64_t i = 0; i < state.range(0); ++i) prints.push_back(vision::fingerprint(head_like(i)));
  size_t found = 0;
  for (auto _ : state) found = vision::find_near_duplicates(prints).size();
  state.counters["matches"] = static_cast<double>(found);
  state.counters["pairs"] = static_cast<double>(prints.size() * (prints.size() - 1) / 2);
}
BENCHMARK(BM_NearDuplicates)->Arg(250)->Arg(2000)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- the seed network ------------------------------------------------------------------------

void BM_TrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  manual_seed(1);
  nn::Sequential net = brain_tumor::seed_network();
  optim::Adam opt(net.parameters(), optim::AdamOptions{1e-3f, 0.9f, 0.999f, 1e-7f});
  Rng rng(1);
  const Tensor x = Tensor::rand({batch, 3, 240, 240}, rng), y = labels(batch);
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = binary_cross_entropy_with_logits(net.forward(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item());
  };
  step();  // warm-up: the first step allocates (and page-faults) every buffer
  const Stopwatch watch;
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * batch);
  set_flop_counters(state, 1.07e9 * static_cast<double>(batch), watch.seconds());
  // The process's peak resident memory so far: the step's peak when this benchmark runs alone
  // (glia_bench --benchmark_filter=BM_TrainStep), as docs/performance.md runs it.
  state.counters["peak_MB"] = peak_memory_mb();
}
BENCHMARK(BM_TrainStep)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

// Inference as the example runs it: batch norm folded into the convolution (nn::fold_batch_norm).
void BM_Inference(benchmark::State& state) {
  const int64_t batch = state.range(0);
  manual_seed(1);
  nn::Sequential net = nn::fold_batch_norm(brain_tumor::seed_network());
  Rng rng(1);
  const Tensor x = Tensor::rand({batch, 3, 240, 240}, rng);
  NoGradGuard no_grad;
  auto step = [&] { benchmark::DoNotOptimize(sigmoid(net.forward(x)).data()); };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * batch);
  set_flop_counters(state, 0.53e9 * static_cast<double>(batch), watch.seconds());
}
BENCHMARK(BM_Inference)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

// --- ResNet-18 (issue 23's whole-network proof) -------------------------------------------------

// ResNet-18 for 224 x 224 images and 1000 classes, as torchvision builds it, with one change:
// glia's max pooling has no padding, so the stem pads with zeros first (after a ReLU every input
// is >= 0, so a zero border changes no maximum). bench/compare_pytorch builds the same network.
// Adds each convolution's and the classifier's multiply-adds (x 2) per image to *flops.
nn::Sequential resnet18(double* flops) {
  nn::Sequential net;
  int64_t size = 224;
  const auto conv = [&](int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad) {
    const int64_t out_size = (size + 2 * pad - kernel) / stride + 1;
    *flops += 2.0 * static_cast<double>(in * out * kernel * kernel * out_size * out_size);
    return nn::Conv2d(in, out, kernel, stride, pad, false);
  };
  net.add(conv(3, 64, 7, 2, 3)).add(nn::BatchNorm2d(64)).add(nn::ReLU());
  size = 112;
  net.add(nn::ZeroPad2d(1)).add(nn::MaxPool2d(3, 2));
  size = 56;
  int64_t channels = 64;
  for (const int64_t width : {64, 128, 256, 512}) {
    for (int block = 0; block < 2; ++block) {
      const int64_t stride = block == 0 && width != 64 ? 2 : 1;
      nn::Sequential body;
      body.add(conv(channels, width, 3, stride, 1)).add(nn::BatchNorm2d(width)).add(nn::ReLU());
      const int64_t in_size = size;
      size = (size + 2 - 3) / stride + 1;
      body.add(conv(width, width, 3, 1, 1)).add(nn::BatchNorm2d(width));
      if (stride != 1 || channels != width) {
        nn::Sequential shortcut;
        const int64_t out_size = size;
        size = in_size;
        shortcut.add(conv(channels, width, 1, stride, 0)).add(nn::BatchNorm2d(width));
        size = out_size;
        net.add(nn::Residual(std::move(body), std::move(shortcut)));
      } else {
        net.add(nn::Residual(std::move(body)));
      }
      net.add(nn::ReLU());
      channels = width;
    }
  }
  net.add(nn::GlobalAvgPool2d()).add(nn::Flatten()).add(nn::Dense(512, 1000));
  *flops += 2.0 * 512 * 1000;
  return net;
}

Tensor classes(int64_t n) {
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<float>(i * 37 % 1000);
  return Tensor::from(y, {n});
}

// A training step (forward, backward, SGD with momentum, as ResNets are trained); FLOPs counted
// as 3 x the forward's (the two backward directions each cost one forward).
void BM_ResNet18TrainStep(benchmark::State& state) {
  const int64_t batch = state.range(0);
  manual_seed(1);
  double flops = 0;
  nn::Sequential net = resnet18(&flops);
  optim::SGD opt(net.parameters(), optim::SGDOptions{0.1f, 0.9f});
  Rng rng(1);
  const Tensor x = Tensor::rand({batch, 3, 224, 224}, rng), y = classes(batch);
  auto step = [&] {
    opt.zero_grad();
    Tensor loss = cross_entropy(net.forward(x), y);
    loss.backward();
    opt.step();
    benchmark::DoNotOptimize(loss.item());
  };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * batch);
  set_flop_counters(state, 3 * flops * static_cast<double>(batch), watch.seconds());
  state.counters["peak_MB"] = peak_memory_mb();
}
BENCHMARK(BM_ResNet18TrainStep)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);

// Inference: eval mode, batch norm folded into the convolutions.
void BM_ResNet18Inference(benchmark::State& state) {
  const int64_t batch = state.range(0);
  manual_seed(1);
  double flops = 0;
  nn::Sequential trained = resnet18(&flops);
  trained.eval();
  nn::Sequential net = nn::fold_batch_norm(trained);
  Rng rng(1);
  const Tensor x = Tensor::rand({batch, 3, 224, 224}, rng);
  NoGradGuard no_grad;
  auto step = [&] { benchmark::DoNotOptimize(net.forward(x).data()); };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations() * batch);
  set_flop_counters(state, flops * static_cast<double>(batch), watch.seconds());
}
BENCHMARK(BM_ResNet18Inference)
    ->Arg(32)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(5.0);

// --- convolution kernels ---------------------------------------------------------------------
// Shapes: 0 the seed's (32 x 3 x 244 x 244, 32 filters 7x7), 1 a ResNet-like 64->64 3x3 on
// 56x56 with padding 1, 2 a 32->64 3x3 stride-2 downsampling (56x56 -> 28x28).
struct ConvShape {
  const char* name;
  Shape x, w;
  int64_t stride, padding;
};
const ConvShape kConvShapes[] = {
    {"seed_3to32_7x7_244", {32, 3, 244, 244}, {32, 3, 7, 7}, 1, 0},
    {"64to64_3x3_56_pad1", {32, 64, 56, 56}, {64, 64, 3, 3}, 1, 1},
    {"32to64_3x3_56_stride2", {32, 32, 56, 56}, {64, 32, 3, 3}, 2, 1},
};

struct ConvCase {
  Tensor x, w, b, grad_y;
  double flops;  // 2 * N * O * C*KH*KW * OH*OW, the same for each of the three GEMMs
};
ConvCase make_conv_case(const ConvShape& s) {
  Rng rng(3);
  ConvCase c;
  c.x = Tensor::rand(s.x, rng, -1, 1);
  c.w = Tensor::rand(s.w, rng, -0.1f, 0.1f);
  c.b = Tensor::zeros({s.w[0]});
  const int64_t oh = (s.x[2] + 2 * s.padding - s.w[2]) / s.stride + 1;
  const int64_t ow = (s.x[3] + 2 * s.padding - s.w[3]) / s.stride + 1;
  c.grad_y = Tensor::rand({s.x[0], s.w[0], oh, ow}, rng, -1, 1);
  c.flops = 2.0 * static_cast<double>(s.x[0] * s.w[0] * s.w[1] * s.w[2] * s.w[3] * oh * ow);
  return c;
}

void BM_Conv2dForward(benchmark::State& state) {
  const ConvShape& s = kConvShapes[state.range(0)];
  state.SetLabel(s.name);
  const ConvCase c = make_conv_case(s);
  auto step = [&] {
    benchmark::DoNotOptimize(conv2d_forward(c.x, c.w, c.b, s.stride, s.padding).data());
  };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  set_flop_counters(state, c.flops, watch.seconds());
}
BENCHMARK(BM_Conv2dForward)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Conv2dBackwardWeights(benchmark::State& state) {
  const ConvShape& s = kConvShapes[state.range(0)];
  state.SetLabel(s.name);
  const ConvCase c = make_conv_case(s);
  auto step = [&] {
    benchmark::DoNotOptimize(
        conv2d_backward_weights(c.grad_y, c.x, c.w.shape(), s.stride, s.padding, true)
            .first.data());
  };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  set_flop_counters(state, c.flops, watch.seconds());
}
BENCHMARK(BM_Conv2dBackwardWeights)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Conv2dBackwardInput(benchmark::State& state) {
  const ConvShape& s = kConvShapes[state.range(0)];
  state.SetLabel(s.name);
  const ConvCase c = make_conv_case(s);
  auto step = [&] {
    benchmark::DoNotOptimize(
        conv2d_backward_input(c.grad_y, c.w, c.x.shape(), s.stride, s.padding).data());
  };
  step();
  const Stopwatch watch;
  for (auto _ : state) step();
  set_flop_counters(state, c.flops, watch.seconds());
}
BENCHMARK(BM_Conv2dBackwardInput)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- memory-bound layers at the seed's activation size (32 x 32 x 238 x 238) ------------------
// GB/s counts the bytes each pass must read and write at least once (its input, output and,
// backward, the incoming gradient), not cache traffic.
const Shape kActivation{32, 32, 238, 238};
double activation_bytes() {
  return 4.0 * static_cast<double>(shape_numel(kActivation));
}

void BM_BatchNormForward(benchmark::State& state) {
  Rng rng(4);
  const Tensor x = Tensor::rand(kActivation, rng);
  Tensor gamma = Tensor::ones({32}), beta = Tensor::zeros({32});
  RunningStats running{Tensor::zeros({32}), Tensor::ones({32})};
  benchmark::DoNotOptimize(
      batch_norm(x, gamma, beta, running, true, 0.01f, 1e-3f).data());  // warm-up
  for (auto _ : state)
    benchmark::DoNotOptimize(batch_norm(x, gamma, beta, running, true, 0.01f, 1e-3f).data());
  set_bandwidth_counter(state, 2 * activation_bytes());
}
BENCHMARK(BM_BatchNormForward)->Unit(benchmark::kMillisecond)->UseRealTime();

// Times one op's own backward function on a recorded graph, with a fresh gradient each time
// (handed over, as the engine does, so relu and batch norm overwrite it as in training).
void time_backward(benchmark::State& state, const Tensor& output) {
  const std::shared_ptr<Node> node = output.grad_fn();
  Rng rng(9);
  const Tensor grad = Tensor::rand(output.shape(), rng, -1, 1);
  node->backward(grad.clone());  // warm-up
  for (auto _ : state) {
    state.PauseTiming();
    Tensor g = grad.clone();
    state.ResumeTiming();
    benchmark::DoNotOptimize(node->backward(std::move(g)));
  }
}

void BM_BatchNormBackward(benchmark::State& state) {
  Rng rng(4);
  const Tensor x = Tensor::rand(kActivation, rng).requires_grad(true);
  Tensor gamma = Tensor::ones({32}).requires_grad(true),
         beta = Tensor::zeros({32}).requires_grad(true);
  RunningStats running{Tensor::zeros({32}), Tensor::ones({32})};
  time_backward(state, batch_norm(x, gamma, beta, running, true, 0.01f, 1e-3f));
  set_bandwidth_counter(state, 3 * activation_bytes());
}
BENCHMARK(BM_BatchNormBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReluForward(benchmark::State& state) {
  Rng rng(5);
  const Tensor x = Tensor::rand(kActivation, rng, -1, 1);
  benchmark::DoNotOptimize(relu(x).data());  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(relu(x).data());
  set_bandwidth_counter(state, 2 * activation_bytes());
}
BENCHMARK(BM_ReluForward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ReluBackward(benchmark::State& state) {
  Rng rng(5);
  const Tensor x = Tensor::rand(kActivation, rng, -1, 1).requires_grad(true);
  time_backward(state, relu(x));
  set_bandwidth_counter(state, 2.25 * activation_bytes());  // dy in, dx out, 1-byte mask
}
BENCHMARK(BM_ReluBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaxPoolForward(benchmark::State& state) {
  Rng rng(6);
  const Tensor x = Tensor::rand(kActivation, rng).requires_grad(state.range(0) == 1);
  state.SetLabel(state.range(0) ? "with argmax (training)" : "inference");
  benchmark::DoNotOptimize(max_pool2d(x, 4, 4).data());  // warm-up
  for (auto _ : state) benchmark::DoNotOptimize(max_pool2d(x, 4, 4).data());
  set_bandwidth_counter(state, activation_bytes() * (1 + 1.0 / 16));
}
BENCHMARK(BM_MaxPoolForward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaxPoolBackward(benchmark::State& state) {
  Rng rng(6);
  const Tensor x = Tensor::rand(kActivation, rng).requires_grad(true);
  time_backward(state, max_pool2d(x, 4, 4));
  set_bandwidth_counter(state, activation_bytes() * (1 + 2.0 / 16));  // dx out; dy and argmax in
}
BENCHMARK(BM_MaxPoolBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

// --- the machine -----------------------------------------------------------------------------

void BM_PeakFlops(benchmark::State& state) {
  double gflops = 0;
  for (auto _ : state) gflops = bench::measure_peak_gflops(best_isa(), 0.25);
  state.counters["GFLOP/s"] = gflops;
  state.counters["threads"] = num_threads();
}
BENCHMARK(BM_PeakFlops)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
