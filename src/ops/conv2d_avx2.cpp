// Register-blocked AVX2 kernels for the two thin GEMMs of a convolution.
//
// Forward: a 4 x 24 block of outputs lives in 12 registers while the patch dimension streams
// past; each step loads 3 column vectors, broadcasts 4 weights and issues 12 FMAs. A column
// panel (Kp x 24 floats, 14 KB for the seed's 7x7x3 patches) stays in L1 for all channel blocks.
// Weight gradient: a 4 x 3 block of dW lives in 12 registers, each lane summing every 8th
// output position; each step loads 4 dy and 3 column vectors for 12 FMAs; the lanes are added
// once per tile.
#include "conv2d_avx2.hpp"

#include "glia/support/intrinsics.hpp"

#include <algorithm>

namespace glia::detail {

// Outside the AVX2 region: it runs on every CPU.
bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

}  // namespace glia::detail

// Everything below is compiled for AVX2 + FMA whatever the build's flags (the caller checks the
// CPU first). A region rather than per-function attributes: lambdas and helpers inherit it.
#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace glia::detail {

namespace {

// An empty asm that claims to modify the values: GCC must then hold them in registers, instead
// of folding each of their loads into every FMA that uses them (which makes the kernels
// load-bound: 16 loads per 12 FMAs instead of 7).
inline void keep_in_registers(__m256& a, __m256& b, __m256& c) {
  asm("" : "+x"(a), "+x"(b), "+x"(c));
}
inline void keep_in_registers(__m256& a) {
  asm("" : "+x"(a));
}

// The 4 x 3 block of accumulators every kernel keeps in 12 registers: row r is an output
// channel, column j 8 positions (forward) or a patch row (weight gradient). Named members,
// not an array (GCC keeps an array in memory); the helpers below are always inlined, so the
// members stay the caller's registers.
struct Block4x3 {
  __m256 a00, a01, a02, a10, a11, a12, a20, a21, a22, a30, a31, a32;
};

__attribute__((always_inline)) inline Block4x3 block_of_rows(__m256 r0, __m256 r1, __m256 r2,
                                                             __m256 r3) {
  return {r0, r0, r0, r1, r1, r1, r2, r2, r2, r3, r3, r3};
}

__attribute__((always_inline)) inline void block_to_array(const Block4x3& b, __m256 (&acc)[4][3]) {
  acc[0][0] = b.a00, acc[0][1] = b.a01, acc[0][2] = b.a02;
  acc[1][0] = b.a10, acc[1][1] = b.a11, acc[1][2] = b.a12;
  acc[2][0] = b.a20, acc[2][1] = b.a21, acc[2][2] = b.a22;
  acc[3][0] = b.a30, acc[3][1] = b.a31, acc[3][2] = b.a32;
}

// Forward: channel block rb's accumulators, each row starting from its channel's bias (zero
// without a bias, and for the padding rows past the last channel).
__attribute__((always_inline)) inline Block4x3 bias_block(const float* bias, int64_t out_channels,
                                                          int64_t rb) {
  auto row = [&](int r) {
    const int64_t o = rb * kRowBlock + r;
    return _mm256_set1_ps(bias && o < out_channels ? bias[o] : 0.0f);
  };
  return block_of_rows(row(0), row(1), row(2), row(3));
}

// Forward, one patch row: acc[r][j] += w[r] * c_j (4 broadcasts, 12 FMAs).
__attribute__((always_inline)) inline void forward_step(Block4x3& b, const float* w, __m256 c0,
                                                        __m256 c1, __m256 c2) {
  keep_in_registers(c0, c1, c2);
  __m256 v = _mm256_broadcast_ss(w);
  b.a00 = _mm256_fmadd_ps(v, c0, b.a00);
  b.a01 = _mm256_fmadd_ps(v, c1, b.a01);
  b.a02 = _mm256_fmadd_ps(v, c2, b.a02);
  v = _mm256_broadcast_ss(w + 1);
  b.a10 = _mm256_fmadd_ps(v, c0, b.a10);
  b.a11 = _mm256_fmadd_ps(v, c1, b.a11);
  b.a12 = _mm256_fmadd_ps(v, c2, b.a12);
  v = _mm256_broadcast_ss(w + 2);
  b.a20 = _mm256_fmadd_ps(v, c0, b.a20);
  b.a21 = _mm256_fmadd_ps(v, c1, b.a21);
  b.a22 = _mm256_fmadd_ps(v, c2, b.a22);
  v = _mm256_broadcast_ss(w + 3);
  b.a30 = _mm256_fmadd_ps(v, c0, b.a30);
  b.a31 = _mm256_fmadd_ps(v, c1, b.a31);
  b.a32 = _mm256_fmadd_ps(v, c2, b.a32);
}

template <bool kAligned>
__attribute__((always_inline)) inline __m256 load8(const float* p) {
  return kAligned ? _mm256_load_ps(p) : _mm256_loadu_ps(p);
}

// Weight gradient, 8 positions: acc[r][j] += dy_r * x_j, dy_r read at dy + r * ld (4 loads,
// 12 FMAs).
template <bool kAligned>
__attribute__((always_inline)) inline void weight_grad_step(Block4x3& b, const float* dy,
                                                            int64_t ld, __m256 x0, __m256 x1,
                                                            __m256 x2) {
  keep_in_registers(x0, x1, x2);
  __m256 g = load8<kAligned>(dy);
  keep_in_registers(g);
  b.a00 = _mm256_fmadd_ps(g, x0, b.a00);
  b.a01 = _mm256_fmadd_ps(g, x1, b.a01);
  b.a02 = _mm256_fmadd_ps(g, x2, b.a02);
  g = load8<kAligned>(dy + ld);
  keep_in_registers(g);
  b.a10 = _mm256_fmadd_ps(g, x0, b.a10);
  b.a11 = _mm256_fmadd_ps(g, x1, b.a11);
  b.a12 = _mm256_fmadd_ps(g, x2, b.a12);
  g = load8<kAligned>(dy + 2 * ld);
  keep_in_registers(g);
  b.a20 = _mm256_fmadd_ps(g, x0, b.a20);
  b.a21 = _mm256_fmadd_ps(g, x1, b.a21);
  b.a22 = _mm256_fmadd_ps(g, x2, b.a22);
  g = load8<kAligned>(dy + 3 * ld);
  keep_in_registers(g);
  b.a30 = _mm256_fmadd_ps(g, x0, b.a30);
  b.a31 = _mm256_fmadd_ps(g, x1, b.a31);
  b.a32 = _mm256_fmadd_ps(g, x2, b.a32);
}

}  // namespace

void conv_forward_avx2(const float* packed_w, const float* packed_col, int64_t out_channels,
                       int64_t kp, int64_t t_cols, const float* bias, float* y, int64_t ldy) {
  const int64_t panels = (t_cols + kPanelWidth - 1) / kPanelWidth;
  const int64_t row_blocks = (out_channels + kRowBlock - 1) / kRowBlock;
  for (int64_t p = 0; p < panels; ++p) {
    const float* col = packed_col + p * kp * kPanelWidth;
    const int64_t t0 = p * kPanelWidth, width = std::min(kPanelWidth, t_cols - t0);
    for (int64_t rb = 0; rb < row_blocks; ++rb) {
      const float* w = packed_w + rb * kp * kRowBlock;
      Block4x3 block = bias_block(bias, out_channels, rb);
      for (int64_t k = 0; k < kp; ++k) {
        const float* c = col + k * kPanelWidth;
        const float* wk = w + k * kRowBlock;
        forward_step(block, wk, _mm256_load_ps(c), _mm256_load_ps(c + 8), _mm256_load_ps(c + 16));
      }
      __m256 acc[kRowBlock][3];
      block_to_array(block, acc);
      for (int r = 0; r < kRowBlock; ++r) {
        const int64_t o = rb * kRowBlock + r;
        if (o >= out_channels) break;
        float* dst = y + o * ldy + t0;
        if (width == kPanelWidth) {
          _mm256_storeu_ps(dst, acc[r][0]);
          _mm256_storeu_ps(dst + 8, acc[r][1]);
          _mm256_storeu_ps(dst + 16, acc[r][2]);
        } else {
          alignas(32) float tail[kPanelWidth];
          _mm256_store_ps(tail, acc[r][0]);
          _mm256_store_ps(tail + 8, acc[r][1]);
          _mm256_store_ps(tail + 16, acc[r][2]);
          std::copy(tail, tail + width, dst);
        }
      }
    }
  }
}

namespace {

inline float horizontal_sum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

}  // namespace

void conv_weight_grad_avx2(const float* packed_dy, const float* packed_col, int64_t out_channels,
                           int64_t k, int64_t kp, int64_t tp, float* dw) {
  const int64_t panels = tp / kPanelWidth;
  const int64_t row_blocks = (out_channels + kRowBlock - 1) / kRowBlock;
  // Channel blocks outside: their 4 dy rows stay in L1 while every patch block streams by.
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    const float* dy = packed_dy + rb * kRowBlock * tp;
    for (int64_t kb = 0; kb < kp; kb += kPatchBlock) {
      const __m256 zero = _mm256_setzero_ps();
      Block4x3 block = block_of_rows(zero, zero, zero, zero);
      for (int64_t p = 0; p < panels; ++p) {
        const float* col = packed_col + (p * kp + kb) * kPanelWidth;
        const float* d = dy + p * kPanelWidth;
// Not unrolled: interleaving two steps needs more than 16 registers, and GCC then spills
// accumulators inside the loop.
#pragma GCC unroll 1
        for (int v = 0; v < 24; v += 8) {
          __m256 x0 = _mm256_load_ps(col + v);
          __m256 x1 = _mm256_load_ps(col + kPanelWidth + v);
          __m256 x2 = _mm256_load_ps(col + 2 * kPanelWidth + v);
          weight_grad_step<true>(block, d + v, tp, x0, x1, x2);
        }
      }
      __m256 acc[kRowBlock][kPatchBlock];
      block_to_array(block, acc);
      for (int r = 0; r < kRowBlock; ++r) {
        const int64_t o = rb * kRowBlock + r;
        if (o >= out_channels) break;
        for (int j = 0; j < kPatchBlock; ++j) {
          if (kb + j < k) dw[o * k + kb + j] += horizontal_sum(acc[r][j]);
        }
      }
    }
  }
}

void conv_forward_direct_avx2(const float* packed_w, const float* src_row, const int64_t* offsets,
                              int64_t out_channels, int64_t k, int64_t kp, const float* bias,
                              float* y_row, int64_t ldy, int64_t panels) {
  const int64_t row_blocks = (out_channels + kRowBlock - 1) / kRowBlock;
  // Channel blocks outside, panels inside: each output row is then written front to back,
  // and the block's weights (Kp x 4 floats) stay in L1 across the panels.
  for (int64_t rb = 0; rb < row_blocks; ++rb)
    for (int64_t q = 0; q < panels; ++q) {
      const float* src = src_row + q * kPanelWidth;
      float* y = y_row + q * kPanelWidth;
      const float* w = packed_w + rb * kp * kRowBlock;
      Block4x3 block = bias_block(bias, out_channels, rb);
      for (int64_t j = 0; j < k; ++j) {
        const float* c = src + offsets[j];
        const float* wk = w + j * kRowBlock;
        forward_step(block, wk, _mm256_loadu_ps(c), _mm256_loadu_ps(c + 8),
                     _mm256_loadu_ps(c + 16));
      }
      __m256 acc[kRowBlock][3];
      block_to_array(block, acc);
      for (int r = 0; r < kRowBlock; ++r) {
        const int64_t o = rb * kRowBlock + r;
        if (o >= out_channels) break;
        float* dst = y + o * ldy;
        _mm256_storeu_ps(dst, acc[r][0]);
        _mm256_storeu_ps(dst + 8, acc[r][1]);
        _mm256_storeu_ps(dst + 16, acc[r][2]);
      }
    }
}

void conv_weight_grad_direct_avx2(const float* dy, const int64_t* dy_offsets, int64_t ldy,
                                  const float* src, const int64_t* src_offsets, int64_t panels,
                                  const int64_t* offsets, int64_t out_channels, int64_t k,
                                  float* dw) {
  const int64_t row_blocks = out_channels / kRowBlock;  // callers pass O % 4 == 0
  for (int64_t rb = 0; rb < row_blocks; ++rb) {
    const float* dy_block = dy + rb * kRowBlock * ldy;
    for (int64_t kb = 0; kb < k; kb += kPatchBlock) {
      // Patch rows past K read row K-1 again; their sums are dropped below.
      const int64_t o0 = offsets[kb], o1 = offsets[std::min(kb + 1, k - 1)],
                    o2 = offsets[std::min(kb + 2, k - 1)];
      const __m256 zero = _mm256_setzero_ps();
      Block4x3 block = block_of_rows(zero, zero, zero, zero);
      for (int64_t p = 0; p < panels; ++p) {
        const float* s = src + src_offsets[p];
        const float* d = dy_block + dy_offsets[p];
// Not unrolled: interleaving two steps needs more than 16 registers, and GCC then spills
// accumulators inside the loop.
#pragma GCC unroll 1
        for (int v = 0; v < 24; v += 8) {
          __m256 x0 = _mm256_loadu_ps(s + o0 + v);
          __m256 x1 = _mm256_loadu_ps(s + o1 + v);
          __m256 x2 = _mm256_loadu_ps(s + o2 + v);
          weight_grad_step<false>(block, d + v, ldy, x0, x1, x2);
        }
      }
      __m256 acc[kRowBlock][kPatchBlock];
      block_to_array(block, acc);
      for (int r = 0; r < kRowBlock; ++r) {
        const int64_t o = rb * kRowBlock + r;
        for (int j = 0; j < kPatchBlock; ++j) {
          if (kb + j < k) dw[o * k + kb + j] += horizontal_sum(acc[r][j]);
        }
      }
    }
  }
}

}  // namespace glia::detail

#pragma GCC pop_options
