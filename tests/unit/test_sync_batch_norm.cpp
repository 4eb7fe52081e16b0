// batch_norm's synchronised statistics without MPI: two replicas on two threads, exchanging
// their partial sums through a reducer, must compute what one batch_norm computes on the whole
// batch: the same output and input gradient, and gamma/beta gradients that add up to it.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <glia/glia.hpp>

#include "golden_file.hpp"

using namespace glia;

namespace {

// Sums two replicas' vectors: each caller waits for the other, then both get the sum.
class TwoReplicaSum {
 public:
  void operator()(std::vector<double>& values) {
    std::unique_lock<std::mutex> lock(mutex_);
    const int round = round_;
    if (waiting_.empty()) {
      waiting_ = values;
      changed_.wait(lock, [&] { return round_ != round; });
      values = result_;
    } else {
      result_ = waiting_;
      for (size_t i = 0; i < values.size(); ++i) result_[i] += values[i];
      values = result_;
      waiting_.clear();
      ++round_;
      changed_.notify_all();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<double> waiting_, result_;
  int round_ = 0;
};

Tensor rows(const Tensor& t, int64_t begin, int64_t end) {
  Shape shape = t.shape();
  const int64_t row = t.numel() / shape[0];
  shape[0] = end - begin;
  Tensor out = Tensor::empty(shape);
  std::memcpy(out.data(), t.data() + begin * row, sizeof(float) * static_cast<size_t>(out.numel()));
  return out;
}

struct Pass {
  Tensor y, dx, dgamma, dbeta, running_mean, running_var;
};

Pass run(const Tensor& x_in, const Tensor& g, const Tensor& gamma_in, const Tensor& beta_in,
         const BatchStatsReducer* reducer) {
  Tensor x = x_in.clone().requires_grad(true);
  Tensor gamma = gamma_in.clone().requires_grad(true), beta = beta_in.clone().requires_grad(true);
  Pass p;
  p.running_mean = Tensor::zeros({x.size(1)});
  p.running_var = Tensor::ones({x.size(1)});
  RunningStats running{p.running_mean, p.running_var};
  p.y = batch_norm(x, gamma, beta, running, true, 0.1f, 1e-5f, reducer);
  sum(p.y * g).backward();
  p.dx = x.grad();
  p.dgamma = gamma.grad();
  p.dbeta = beta.grad();
  return p;
}

}  // namespace

TEST_CASE("batch_norm with a reducer: two half batches compute the whole batch's") {
  Rng rng(21);
  const Tensor x = Tensor::randn({6, 3, 5, 4}, rng, 0.5f, 2.0f);
  const Tensor g = Tensor::randn({6, 3, 5, 4}, rng);
  const Tensor gamma = Tensor::rand({3}, rng, 0.5f, 1.5f), beta = Tensor::randn({3}, rng);
  const Pass whole = run(x, g, gamma, beta, nullptr);

  TwoReplicaSum exchange;
  const BatchStatsReducer reducer = [&](std::vector<double>& v) { exchange(v); };
  Pass half[2];
  std::thread other([&] { half[1] = run(rows(x, 3, 6), rows(g, 3, 6), gamma, beta, &reducer); });
  half[0] = run(rows(x, 0, 3), rows(g, 0, 3), gamma, beta, &reducer);
  other.join();

  for (int r = 0; r < 2; ++r) {
    testing::require_close(half[r].y, rows(whole.y, 3 * r, 3 * r + 3), 1e-5, 1e-5);
    testing::require_close(half[r].dx, rows(whole.dx, 3 * r, 3 * r + 3), 1e-5, 1e-5);
    testing::require_close(half[r].running_mean, whole.running_mean, 1e-6, 1e-5);
    testing::require_close(half[r].running_var, whole.running_var, 1e-6, 1e-5);
  }
  testing::require_close(half[0].dgamma + half[1].dgamma, whole.dgamma, 1e-5, 1e-5);
  testing::require_close(half[0].dbeta + half[1].dbeta, whole.dbeta, 1e-5, 1e-5);
}
