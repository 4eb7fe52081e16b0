// relu, leaky_relu, tanh and sigmoid, forward and backward.
#include "glia/ops/activation.hpp"

#include "glia/support/intrinsics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>

#include "glia/autograd/node.hpp"
#include "glia/support/cpu.hpp"
#include "glia/ops/elementwise.hpp"
#include "glia/tensor/block_cache.hpp"

namespace glia {

namespace {

// The mask relu's backward pass needs is one bit per element (bit i % 8 of byte i / 8): 1/32
// of the output's size, which matters for the seed network's 232 MB activations.
__attribute__((target("avx2"))) void relu_bits_avx2(const float* src, float* dst, uint8_t* bits,
                                                    int64_t groups) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t q = 0; q < groups; ++q) {
    const __m256 v = _mm256_loadu_ps(src + 8 * q);
    const __m256 positive = _mm256_cmp_ps(v, zero, _CMP_GT_OQ);
    if (bits) bits[q] = static_cast<uint8_t>(_mm256_movemask_ps(positive));
    _mm256_storeu_ps(dst + 8 * q, _mm256_and_ps(v, positive));
  }
}

__attribute__((target("avx2"))) void masked_copy_avx2(const float* g, const uint8_t* bits,
                                                      float* out, int64_t groups) {
  const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  for (int64_t q = 0; q < groups; ++q) {
    const __m256i b = _mm256_and_si256(_mm256_set1_epi32(bits[q]), lanes);
    const __m256 keep = _mm256_castsi256_ps(_mm256_cmpeq_epi32(b, lanes));
    _mm256_storeu_ps(out + 8 * q, _mm256_and_ps(_mm256_loadu_ps(g + 8 * q), keep));
  }
}

bool has_avx2() {
  return active_isa() != Isa::reference;  // AVX-512 machines have AVX2 too
}

// relu of `in` into `out` (which may be `in`), and its bit mask when the backward pass needs it.
std::shared_ptr<uint8_t[]> relu_into(const Tensor& in, Tensor& out, bool keep_mask) {
  const int64_t n = in.numel(), groups = (n + 7) / 8;
  auto mask = keep_mask ? cached_array<uint8_t>(static_cast<size_t>(groups)) : nullptr;
  const float* src = in.data();
  float* dst = out.data();
  uint8_t* bits = mask.get();
  // Chunks of whole 8-element groups, so that no two threads write one mask byte.
  parallel_chunks(
      groups,
      [&](int64_t begin, int64_t end, int) {
        int64_t q = begin;
        if (has_avx2()) {
          const int64_t full = std::min(end, n / 8);  // groups with all 8 elements
          if (full > begin)
            relu_bits_avx2(src + 8 * begin, dst + 8 * begin, bits ? bits + begin : nullptr,
                           full - begin);
          q = std::max(begin, full);
        }
        for (; q < end; ++q) {
          uint8_t byte = 0;
          for (int64_t i = 8 * q; i < std::min(n, 8 * q + 8); ++i) {
            const bool positive = src[i] > 0.0f;
            byte |= static_cast<uint8_t>(positive << (i - 8 * q));
            dst[i] = positive ? src[i] : 0.0f;
          }
          if (bits) bits[q] = byte;
        }
      },
      detail::kElementwiseGrain / 8);
  return mask;
}

// relu of x into `out` (x itself, or a new tensor), recording the backward pass: it keeps a bit
// mask of the positive elements and writes dx into dy's buffer (the engine hands it over).
Tensor relu_impl(const char* op, const Tensor& x, Tensor out) {
  check_arg(x.defined(), op, "undefined tensor");
  const bool record_graph = needs_graph({&x});
  auto mask = relu_into(x, out, record_graph);
  if (record_graph) {
    record(op, out, {x}, [mask](Tensor g) {
      Tensor gx = g;
      const int64_t n = g.numel(), groups = (n + 7) / 8;
      const float* gin = g.data();
      float* gout = gx.data();
      const uint8_t* bits = mask.get();
      parallel_chunks(
          groups,
          [&](int64_t begin, int64_t end, int) {
            int64_t q = begin;
            if (has_avx2()) {
              const int64_t full = std::min(end, n / 8);
              if (full > begin)
                masked_copy_avx2(gin + 8 * begin, bits + begin, gout + 8 * begin, full - begin);
              q = std::max(begin, full);
            }
            for (; q < end; ++q) {
              for (int64_t i = 8 * q; i < std::min(n, 8 * q + 8); ++i) {
                gout[i] = (bits[q] >> (i - 8 * q)) & 1 ? gin[i] : 0.0f;
              }
            }
          },
          detail::kElementwiseGrain / 8);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace

Tensor relu(const Tensor& x) {
  check_arg(x.defined(), "relu", "undefined tensor");
  return relu_impl("relu", x, Tensor::empty(x.shape()));
}

Tensor relu_(const Tensor& x) {
  check_arg(x.defined(), "relu_", "undefined tensor");
  check_arg(!(x.is_leaf() && x.requires_grad()), "relu_",
            "cannot overwrite a leaf that requires grad (a parameter): use relu()");
  return relu_impl("relu_", x, x.detach());
}

Tensor leaky_relu(const Tensor& x, float negative_slope) {
  check_arg(x.defined(), "leaky_relu", "undefined tensor");
  check_arg(std::isfinite(negative_slope), "leaky_relu", "negative_slope must be finite, got ",
            negative_slope);
  const float a = negative_slope;
  Tensor out = detail::map_array(x, [a](const auto& v) { return (v > 0.0f).select(v, v * a); });
  if (needs_graph({&x})) {
    record("leaky_relu", out, {x}, [a, x = x.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(g, x, [a](const auto& gv, const auto& xv) {
        return (xv > 0.0f).select(gv, gv * a);
      })};
    });
  }
  return out;
}

Tensor tanh(const Tensor& x) {
  check_arg(x.defined(), "tanh", "undefined tensor");
  Tensor out = detail::map_array(x, [](const auto& v) { return v.tanh(); });
  if (needs_graph({&x})) {
    record("tanh", out, {x}, [y = out.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(
          g, y, [](const auto& gv, const auto& yv) { return gv * (1.0f - yv * yv); })};
    });
  }
  return out;
}

Tensor sigmoid(const Tensor& x) {
  check_arg(x.defined(), "sigmoid", "undefined tensor");
  Tensor out = Tensor::empty(x.shape());
  const float* in = x.data();
  float* o = out.data();
  for (int64_t i = 0; i < x.numel(); ++i) o[i] = sigmoid(in[i]);
  if (needs_graph({&x})) {
    record("sigmoid", out, {x}, [y = out.detach()](const Tensor& g) {
      return std::vector<Tensor>{detail::zip_arrays(
          g, y, [](const auto& gv, const auto& yv) { return gv * yv * (1.0f - yv); })};
    });
  }
  return out;
}

}  // namespace glia
