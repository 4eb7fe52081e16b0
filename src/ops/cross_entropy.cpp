// cross_entropy on logits, forward and backward in one op.
//
// Shapes: logits {N, K}, targets {N} (class indices as floats), row weights w {N} or none -> {1}.
// Per row: p = softmax(z), q = (1 - s) one_hot(t) + s / K;
//   loss = -w sum_k q_k log p_k (averaged over rows), dz = w (p - q) / N.
#include <cmath>

#include "glia/ops/loss.hpp"

namespace glia {

Tensor cross_entropy(const Tensor& logits, const Tensor& targets, float label_smoothing,
                     const Tensor& row_weights) {
  check_arg(logits.defined() && targets.defined(), "cross_entropy", "undefined logits or targets");
  check_arg(logits.dim() == 2 && logits.size(0) > 0 && logits.size(1) > 0, "cross_entropy",
            "expects logits {N, K} with N, K >= 1, got ", shape_str(logits.shape()));
  const int64_t n = logits.size(0), k = logits.size(1);
  check_arg(targets.shape() == Shape{n} || targets.shape() == Shape{n, 1}, "cross_entropy",
            "expects targets {", n, "} (class indices) for logits ", shape_str(logits.shape()),
            ", got ", shape_str(targets.shape()));
  check_arg(!row_weights.defined() || row_weights.numel() == n, "cross_entropy", "expects ", n,
            " row weights for logits ", shape_str(logits.shape()), ", got ",
            shape_str(row_weights));
  check_arg(label_smoothing >= 0.0f && label_smoothing <= 1.0f, "cross_entropy",
            "label_smoothing must be in [0, 1], got ", label_smoothing);
  std::vector<int64_t> cls(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float t = targets.data()[i];
    check_arg(std::floor(t) == t && t >= 0.0f && t < static_cast<float>(k), "cross_entropy",
              "target ", t, " of row ", i, " is not a class index in [0, ", k, ")");
    cls[static_cast<size_t>(i)] = static_cast<int64_t>(t);
  }
  const double s = label_smoothing, off = s / static_cast<double>(k);
  // p = softmax(z) per row, kept for the backward pass.
  Tensor p = Tensor::empty({n, k});
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* z = logits.data() + i * k;
    double m = z[0];
    for (int64_t j = 1; j < k; ++j) m = std::max(m, static_cast<double>(z[j]));
    double denominator = 0.0;
    for (int64_t j = 0; j < k; ++j) denominator += std::exp(z[j] - m);
    const double log_denominator = std::log(denominator);
    double row = 0.0;
    for (int64_t j = 0; j < k; ++j) {
      const double log_p = z[j] - m - log_denominator;
      p.data()[i * k + j] = static_cast<float>(std::exp(log_p));
      const double q = off + (j == cls[static_cast<size_t>(i)] ? 1.0 - s : 0.0);
      row -= q * log_p;
    }
    total += row_weights.defined() ? row_weights.data()[i] * row : row;
  }
  Tensor loss = Tensor::full({1}, static_cast<float>(total / static_cast<double>(n)));
  if (needs_graph({&logits})) {
    record("cross_entropy", loss, {logits},
           [=, p = p.detach(), w = row_weights.detach()](const Tensor& g) {
             const double batch_scale = g.data()[0] / static_cast<double>(n);
             Tensor gz = Tensor::empty({n, k});
             for (int64_t i = 0; i < n; ++i) {
               const double scale = w.defined() ? batch_scale * w.data()[i] : batch_scale;
               for (int64_t j = 0; j < k; ++j) {
                 const double q = off + (j == cls[static_cast<size_t>(i)] ? 1.0 - s : 0.0);
                 gz.data()[i * k + j] = static_cast<float>(scale * (p.data()[i * k + j] - q));
               }
             }
             return std::vector<Tensor>{gz};
           });
  }
  return loss;
}

}  // namespace glia
