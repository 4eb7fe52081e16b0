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

void check_batch_norm_args(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           float momentum, float eps) {
  check_arg(x.defined(), "batch_norm", "undefined input");
  check_arg(x.dim() == 4 || x.dim() == 2, "batch_norm", "expects x {N, C, H, W} or {N, C}, got ",
            shape_str(x.shape()));
  const Shape channel_shape{x.size(1)};
  const std::pair<const char*, const Tensor*> per_channel[] = {{"gamma", &gamma},
                                                               {"beta", &beta},
                                                               {"running_mean", &running_mean},
                                                               {"running_var", &running_var}};
  for (const auto& [name, t] : per_channel) {
    check_arg(t->defined() && t->shape() == channel_shape, "batch_norm", name, " must be ",
              shape_str(channel_shape), " for x ", shape_str(x.shape()), ", got ",
              shape_str(*t));
  }
  check_arg(!training || ChannelLayout(x.shape()).count() > 1, "batch_norm",
            "training needs more than one value per channel, x is ", shape_str(x.shape()));
  check_arg(momentum >= 0.0f && momentum <= 1.0f, "batch_norm", "momentum must be in [0, 1], got ",
            momentum);
  check_arg(eps > 0.0f, "batch_norm", "eps must be positive, got ", eps);
}

}  // namespace

namespace {

// Statistics, normalisation and (when recording) the backward function; `y` is either a new
// tensor or x itself (inference without a graph, on a tensor the caller gave up).
Tensor batch_norm_impl(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       Tensor running_mean, Tensor running_var, bool training, float momentum,
                       float eps, bool in_place, const BatchStatsReducer* reducer) {
  check_batch_norm_args(x, gamma, beta, running_mean, running_var, training, momentum, eps);
  const ChannelLayout l(x.shape());
  const double m = static_cast<double>(l.count());
  Tensor mean = Tensor::empty({l.channels});    // the statistics used to normalise
  Tensor invstd = Tensor::empty({l.channels});  // 1 / sqrt(var + eps)
  Tensor y = in_place ? x.detach() : Tensor::empty(x.shape());

  // Synchronised statistics: the global mean, then the global variance about it.
  std::vector<double> global_mean, global_var;
  double m_global = m;
  const bool synced = training && reducer != nullptr;
  if (synced) {
    std::vector<double> sums(static_cast<size_t>(l.channels) + 1);
    parallel_for(l.channels, [&](int64_t c) {
      double sum = 0.0;
      for (int64_t n = 0; n < l.batch; ++n) sum += plane_of(x, l, n, c).cast<double>().sum();
      sums[static_cast<size_t>(c)] = sum;
    });
    sums.back() = m;
    (*reducer)(sums);
    m_global = sums.back();
    check_arg(m_global > 1.0, "batch_norm", "synchronised training needs more than one value ",
              "per channel in the global batch");
    global_mean.resize(static_cast<size_t>(l.channels));
    for (int64_t c = 0; c < l.channels; ++c)
      global_mean[static_cast<size_t>(c)] = sums[static_cast<size_t>(c)] / m_global;
    global_var.assign(static_cast<size_t>(l.channels), 0.0);
    parallel_for(l.channels, [&](int64_t c) {
      const double mu = global_mean[static_cast<size_t>(c)];
      double squares = 0.0;
      for (int64_t n = 0; n < l.batch; ++n)
        squares += (plane_of(x, l, n, c).cast<double>() - mu).square().sum();
      global_var[static_cast<size_t>(c)] = squares;
    });
    (*reducer)(global_var);
    for (double& v : global_var) v /= m_global;
  }

  parallel_for(l.channels, [&](int64_t c) {
    double mu, var;
    if (synced) {
      mu = global_mean[static_cast<size_t>(c)];
      var = global_var[static_cast<size_t>(c)];
      running_mean.data()[c] =
          static_cast<float>((1.0 - momentum) * running_mean.data()[c] + momentum * mu);
      running_var.data()[c] = static_cast<float>((1.0 - momentum) * running_var.data()[c] +
                                                 momentum * var * m_global / (m_global - 1.0));
    } else if (training) {
      // One pass over the data: sums of (x - shift) and its square. Shifting by a value from
      // the channel keeps E[d^2] - E[d]^2 free of cancellation when |mean| >> std.
      const float shift = x.data()[l.offset(0, c)];
      double sum = 0.0, squares = 0.0;
      for (int64_t n = 0; n < l.batch; ++n) {
        const auto d = plane_of(x, l, n, c) - shift;
        sum += d.sum();
        squares += d.square().sum();
      }
      const double mean_d = sum / m;
      mu = shift + mean_d;
      var = std::max(0.0, squares / m - mean_d * mean_d);
      running_mean.data()[c] =
          static_cast<float>((1.0 - momentum) * running_mean.data()[c] + momentum * mu);
      running_var.data()[c] = static_cast<float>((1.0 - momentum) * running_var.data()[c] +
                                                 momentum * var * m / (m - 1.0));
    } else {
      mu = running_mean.data()[c];
      var = running_var.data()[c];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    mean.data()[c] = static_cast<float>(mu);
    invstd.data()[c] = inv;
    // y = x * scale + shift
    const float scale = gamma.data()[c] * inv;
    const float offset = beta.data()[c] - static_cast<float>(mu) * scale;
    for (int64_t n = 0; n < l.batch; ++n)
      plane_of(y, l, n, c) = plane_of(x, l, n, c) * scale + offset;
  });

  if (needs_graph({&x, &gamma, &beta})) {
    const BatchStatsReducer reduce = synced ? *reducer : BatchStatsReducer();
    const bool need_x = x.requires_grad(), need_gamma = gamma.requires_grad(),
               need_beta = beta.requires_grad();
    record("batch_norm", y, {x, gamma, beta},
           [=, x = x.detach(), gamma = gamma.detach()](Tensor g) {
             // dx overwrites dy when nobody else holds it: per channel, both sums are taken
             // before any element is written.
             Tensor gx = need_x ? (g.is_exclusive() ? g : Tensor::empty(x.shape())) : Tensor();
             Tensor ggamma = Tensor::empty({l.channels}), gbeta = Tensor::empty({l.channels});
             // Per channel: sum dy and sum dy * xhat over this replica's batch.
             auto local_sums = [&](int64_t c, double& sum_dy, double& sum_dy_xhat) {
               const float mu = mean.data()[c], inv = invstd.data()[c];
               sum_dy = 0.0;
               sum_dy_xhat = 0.0;
               for (int64_t n = 0; n < l.batch; ++n) {
                 const auto dy = plane_of(g, l, n, c);
                 sum_dy += dy.sum();
                 sum_dy_xhat += (dy * ((plane_of(x, l, n, c) - mu) * inv)).sum();
               }
             };
             // Synchronised: the sums of every replica, before dx is written; this replica's
             // own stay for its gamma and beta gradients.
             std::vector<double> local, global;
             if (synced && need_x) {
               local.resize(2 * static_cast<size_t>(l.channels));
               parallel_for(l.channels, [&](int64_t c) {
                 local_sums(c, local[2 * static_cast<size_t>(c)],
                            local[2 * static_cast<size_t>(c) + 1]);
               });
               global = local;
               reduce(global);
             }
             parallel_for(l.channels, [&](int64_t c) {
               const float mu = mean.data()[c], inv = invstd.data()[c];
               double sum_dy = 0.0, sum_dy_xhat = 0.0;
               if (local.empty()) {
                 local_sums(c, sum_dy, sum_dy_xhat);
               } else {
                 sum_dy = local[2 * static_cast<size_t>(c)];
                 sum_dy_xhat = local[2 * static_cast<size_t>(c) + 1];
               }
               ggamma.data()[c] = static_cast<float>(sum_dy_xhat);
               gbeta.data()[c] = static_cast<float>(sum_dy);
               if (!need_x) return;
               if (synced) {
                 sum_dy = global[2 * static_cast<size_t>(c)];
                 sum_dy_xhat = global[2 * static_cast<size_t>(c) + 1];
               }
               const float gamma_inv = gamma.data()[c] * inv;
               if (!training) {
                 for (int64_t n = 0; n < l.batch; ++n) {
                   plane_of(gx, l, n, c) = plane_of(g, l, n, c) * gamma_inv;
                 }
                 return;
               }
               const float mean_dy = static_cast<float>(sum_dy / m_global);
               const float mean_dy_xhat = static_cast<float>(sum_dy_xhat / m_global);
               for (int64_t n = 0; n < l.batch; ++n) {
                 const auto xhat = (plane_of(x, l, n, c) - mu) * inv;
                 plane_of(gx, l, n, c) =
                     gamma_inv * (plane_of(g, l, n, c) - mean_dy - xhat * mean_dy_xhat);
               }
             });
             return std::vector<Tensor>{gx, need_gamma ? ggamma : Tensor(),
                                        need_beta ? gbeta : Tensor()};
           });
  }
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, float momentum, float eps,
                  const BatchStatsReducer* reducer) {
  return batch_norm_impl(x, gamma, beta, std::move(running_mean), std::move(running_var), training,
                         momentum, eps, false, reducer);
}

Tensor batch_norm(Tensor&& x, const Tensor& gamma, const Tensor& beta, Tensor running_mean,
                  Tensor running_var, bool training, float momentum, float eps,
                  const BatchStatsReducer* reducer) {
  // In place only where nothing needs x afterwards: inference with no graph to record.
  const bool in_place = !training && x.is_exclusive() && !needs_graph({&x, &gamma, &beta});
  return batch_norm_impl(x, gamma, beta, std::move(running_mean), std::move(running_var), training,
                         momentum, eps, in_place, reducer);
}

}  // namespace glia
