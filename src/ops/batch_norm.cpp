// batch_norm forward and backward, one channel per work item.
//
// Shapes: x {N, C, S} viewed with S = H*W (or 1 for {N, C}); per channel c the M = N*S values
// x[n, c, :] are normalised together. Sums run in double per (n, c) plane, so the statistics
// of 1.8 million activations per channel keep their small terms. A channel is reduced by one
// thread in a fixed order: results do not depend on the thread count.
//
// training backward, with xhat = (x - mean) * invstd:
//   dbeta = sum dy,  dgamma = sum dy * xhat,
//   dx = gamma * invstd / M * (M * dy - dbeta - xhat * dgamma)
// inference backward: dx = dy * gamma * invstd (the statistics are constants).
// With a reducer (synchronised statistics) M, the statistics and the two backward sums are
// global: each is summed across the replicas between the passes (see the header).
#include "glia/ops/batch_norm.hpp"

#include <algorithm>
#include <cmath>

#include "glia/autograd/node.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/eigen.hpp"

namespace glia {
namespace {

struct ChannelLayout {
  int64_t batch, channels, plane;  // N, C, S
  explicit ChannelLayout(const Shape& s)
      : batch(s[0]), channels(s[1]), plane(s.size() == 4 ? s[2] * s[3] : 1) {}
  int64_t count() const { return batch * plane; }  // M
  int64_t offset(int64_t n, int64_t c) const { return (n * channels + c) * plane; }
};

Eigen::Map<const Eigen::ArrayXf> plane_of(const Tensor& t, const ChannelLayout& l, int64_t n,
                                          int64_t c) {
  return Eigen::Map<const Eigen::ArrayXf>(t.data() + l.offset(n, c), l.plane);
}
Eigen::Map<Eigen::ArrayXf> plane_of(Tensor& t, const ChannelLayout& l, int64_t n, int64_t c) {
  return Eigen::Map<Eigen::ArrayXf>(t.data() + l.offset(n, c), l.plane);
}
size_t at(int64_t c) { return static_cast<size_t>(c); }

void check_batch_norm_args(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           const RunningStats& running, bool training, float momentum, float eps) {
  check_arg(x.defined(), "batch_norm", "undefined input");
  check_arg(x.dim() == 4 || x.dim() == 2, "batch_norm", "expects x {N, C, H, W} or {N, C}, got ",
            shape_str(x));
  const Shape channel_shape{x.size(1)};
  const std::pair<const char*, const Tensor*> per_channel[] = {{"gamma", &gamma},
                                                               {"beta", &beta},
                                                               {"running_mean", &running.mean},
                                                               {"running_var", &running.var}};
  for (const auto& [name, t] : per_channel) {
    check_arg(t->defined() && t->shape() == channel_shape, "batch_norm", name, " must be ",
              shape_str(channel_shape), " for x ", shape_str(x), ", got ", shape_str(*t));
  }
  check_arg(!training || ChannelLayout(x.shape()).count() > 1, "batch_norm",
            "training needs more than one value per channel, x is ", shape_str(x));
  check_arg(momentum >= 0.0f && momentum <= 1.0f, "batch_norm", "momentum must be in [0, 1], got ",
            momentum);
  check_arg(eps > 0.0f, "batch_norm", "eps must be positive, got ", eps);
}

// The per-channel mean and biased variance a pass normalises with, and the count M they are
// taken over (global when synchronised).
struct ChannelStats {
  std::vector<double> mean, var;
  double count = 0;
};

// This replica's batch in one pass: sums of (x - shift) and its square. Shifting by a value from
// the channel keeps E[d^2] - E[d]^2 free of cancellation when |mean| >> std.
ChannelStats local_statistics(const Tensor& x, const ChannelLayout& l) {
  ChannelStats s{std::vector<double>(at(l.channels)), std::vector<double>(at(l.channels)),
                 static_cast<double>(l.count())};
  parallel_for(l.channels, [&](int64_t c) {
    const float shift = x.data()[l.offset(0, c)];
    double sum = 0.0, squares = 0.0;
    for (int64_t n = 0; n < l.batch; ++n) {
      const auto d = plane_of(x, l, n, c) - shift;
      sum += d.sum();
      squares += d.square().sum();
    }
    const double mean_d = sum / s.count;
    s.mean[at(c)] = shift + mean_d;
    s.var[at(c)] = std::max(0.0, squares / s.count - mean_d * mean_d);
  });
  return s;
}

// The global batch across replicas, in two passes: the sum, then the squared deviations from
// the global mean.
ChannelStats synchronised_statistics(const Tensor& x, const ChannelLayout& l,
                                     const BatchStatsReducer& reduce) {
  std::vector<double> sums(at(l.channels) + 1);
  parallel_for(l.channels, [&](int64_t c) {
    double sum = 0.0;
    for (int64_t n = 0; n < l.batch; ++n) sum += plane_of(x, l, n, c).cast<double>().sum();
    sums[at(c)] = sum;
  });
  sums.back() = static_cast<double>(l.count());
  reduce(sums);
  ChannelStats s{std::vector<double>(at(l.channels)), std::vector<double>(at(l.channels), 0.0),
                 sums.back()};
  check_arg(s.count > 1.0, "batch_norm", "synchronised training needs more than one value ",
            "per channel in the global batch");
  for (int64_t c = 0; c < l.channels; ++c) s.mean[at(c)] = sums[at(c)] / s.count;
  parallel_for(l.channels, [&](int64_t c) {
    double squares = 0.0;
    for (int64_t n = 0; n < l.batch; ++n)
      squares += (plane_of(x, l, n, c).cast<double>() - s.mean[at(c)]).square().sum();
    s.var[at(c)] = squares;
  });
  reduce(s.var);
  for (double& v : s.var) v /= s.count;
  return s;
}

void update_running(RunningStats& running, const ChannelStats& batch, float momentum) {
  for (size_t c = 0; c < batch.mean.size(); ++c) {
    float& mean = running.mean.data()[c];
    float& var = running.var.data()[c];
    mean = static_cast<float>((1.0 - momentum) * mean + momentum * batch.mean[c]);
    var = static_cast<float>((1.0 - momentum) * var + momentum * batch.var[c] * batch.count / (batch.count - 1.0));
  }
}

// y = (x - mean) * invstd * gamma + beta, as y = x * scale + offset per channel.
void normalize(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& mean,
               const Tensor& invstd, const ChannelLayout& l, Tensor& y) {
  parallel_for(l.channels, [&](int64_t c) {
    const float scale = gamma.data()[c] * invstd.data()[c];
    const float offset = beta.data()[c] - mean.data()[c] * scale;
    for (int64_t n = 0; n < l.batch; ++n)
      plane_of(y, l, n, c) = plane_of(x, l, n, c) * scale + offset;
  });
}

// What the backward pass needs, saved by the forward pass.
struct Saved {
  Tensor x, gamma, mean, invstd;  // detached
  ChannelLayout layout;
  double count;  // M (global when synchronised)
  bool training;
  BatchStatsReducer reduce;  // empty unless synchronised
  bool need_x, need_gamma, need_beta;
};

// Per channel: sum dy and sum dy * xhat over this replica's batch.
void local_sums(const Saved& s, const Tensor& g, int64_t c, double& sum_dy, double& sum_dy_xhat) {
  const float mu = s.mean.data()[c], inv = s.invstd.data()[c];
  sum_dy = 0.0;
  sum_dy_xhat = 0.0;
  for (int64_t n = 0; n < s.layout.batch; ++n) {
    const auto dy = plane_of(g, s.layout, n, c);
    sum_dy += dy.sum();
    sum_dy_xhat += (dy * ((plane_of(s.x, s.layout, n, c) - mu) * inv)).sum();
  }
}

// The gradients of x, gamma and beta. dx is written into g, which the engine hands over (see
// autograd/node.hpp): per channel both sums are taken before any of its elements is written.
std::vector<Tensor> batch_norm_backward(const Saved& s, Tensor g) {
  const ChannelLayout& l = s.layout;
  Tensor ggamma = Tensor::empty({l.channels}), gbeta = Tensor::empty({l.channels});
  // Synchronised: every replica's sums, before dx is written; this replica's own stay for its
  // gamma and beta gradients.
  std::vector<double> local, global;
  if (s.reduce && s.need_x) {
    local.resize(2 * at(l.channels));
    parallel_for(l.channels,
                 [&](int64_t c) { local_sums(s, g, c, local[2 * at(c)], local[2 * at(c) + 1]); });
    global = local;
    s.reduce(global);
  }
  parallel_for(l.channels, [&](int64_t c) {
    const float mu = s.mean.data()[c], inv = s.invstd.data()[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    if (local.empty()) {
      local_sums(s, g, c, sum_dy, sum_dy_xhat);
    } else {
      sum_dy = local[2 * at(c)];
      sum_dy_xhat = local[2 * at(c) + 1];
    }
    ggamma.data()[c] = static_cast<float>(sum_dy_xhat);
    gbeta.data()[c] = static_cast<float>(sum_dy);
    if (!s.need_x) return;
    if (!global.empty()) {
      sum_dy = global[2 * at(c)];
      sum_dy_xhat = global[2 * at(c) + 1];
    }
    const float gamma_inv = s.gamma.data()[c] * inv;
    if (!s.training) {
      for (int64_t n = 0; n < l.batch; ++n) plane_of(g, l, n, c) *= gamma_inv;
      return;
    }
    const float mean_dy = static_cast<float>(sum_dy / s.count);
    const float mean_dy_xhat = static_cast<float>(sum_dy_xhat / s.count);
    for (int64_t n = 0; n < l.batch; ++n) {
      const auto xhat = (plane_of(s.x, l, n, c) - mu) * inv;
      plane_of(g, l, n, c) = gamma_inv * (plane_of(g, l, n, c) - mean_dy - xhat * mean_dy_xhat);
    }
  });
  return {s.need_x ? g : Tensor(), s.need_gamma ? ggamma : Tensor(),
          s.need_beta ? gbeta : Tensor()};
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, RunningStats& running,
                  bool training, float momentum, float eps, const BatchStatsReducer* reducer) {
  check_batch_norm_args(x, gamma, beta, running, training, momentum, eps);
  const ChannelLayout l(x.shape());
  const bool synced = training && reducer != nullptr;
  ChannelStats stats;
  if (synced) {
    stats = synchronised_statistics(x, l, *reducer);
  } else if (training) {
    stats = local_statistics(x, l);
  } else {  // inference: the running statistics
    stats.count = static_cast<double>(l.count());
    stats.mean.assign(running.mean.data(), running.mean.data() + l.channels);
    stats.var.assign(running.var.data(), running.var.data() + l.channels);
  }
  if (training) update_running(running, stats, momentum);

  Tensor mean = Tensor::empty({l.channels}), invstd = Tensor::empty({l.channels});
  for (int64_t c = 0; c < l.channels; ++c) {
    mean.data()[c] = static_cast<float>(stats.mean[at(c)]);
    invstd.data()[c] = static_cast<float>(1.0 / std::sqrt(stats.var[at(c)] + eps));
  }
  Tensor y = Tensor::empty(x.shape());
  normalize(x, gamma, beta, mean, invstd, l, y);

  if (needs_graph({&x, &gamma, &beta})) {
    Saved saved{x.detach(),
                gamma.detach(),
                mean,
                invstd,
                l,
                stats.count,
                training,
                synced ? *reducer : BatchStatsReducer(),
                x.requires_grad(),
                gamma.requires_grad(),
                beta.requires_grad()};
    record("batch_norm", y, {x, gamma, beta},
           [saved = std::move(saved)](Tensor g) { return batch_norm_backward(saved, std::move(g)); });
  }
  return y;
}

}  // namespace glia
