// The tuned convolution for AVX-512F: 8 x 32 register blocks (16 of the 32 zmm registers).
//
// Headers first, then the target region: only this file's own code is compiled for AVX-512,
// never a library function that another file might share.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "geometry.hpp"
#include "glia/support/intrinsics.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/tensor.hpp"
#include "kernels.hpp"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif

#include "channels_last_forward.hpp"
#include "channels_last_weights.hpp"
#include "tuned.hpp"
#include "winograd.hpp"

namespace glia::conv {
namespace {

struct Avx512 {
  using V = __m512;
  static constexpr int L = 16;
  static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V set1(float v) { return _mm512_set1_ps(v); }
  static V zero() { return _mm512_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V neg(V a) { return _mm512_sub_ps(_mm512_setzero_ps(), a); }
  // out[k][t] = src[4 t + k] for t < 16: 64 floats split into their 4 phases.
  static void deinterleave4(const float* src, float* out0, float* out1, float* out2, float* out3) {
    const __m512 a0 = _mm512_loadu_ps(src), a1 = _mm512_loadu_ps(src + 16);
    const __m512 a2 = _mm512_loadu_ps(src + 32), a3 = _mm512_loadu_ps(src + 48);
    float* out[4] = {out0, out1, out2, out3};
    for (int k = 0; k < 4; ++k) {
      const __m512i idx =
          _mm512_setr_epi32(k, 4 + k, 8 + k, 12 + k, 16 + k, 20 + k, 24 + k, 28 + k, k, 4 + k,
                            8 + k, 12 + k, 16 + k, 20 + k, 24 + k, 28 + k);
      const __m512 lo = _mm512_permutex2var_ps(a0, idx, a1);
      const __m512 hi = _mm512_permutex2var_ps(a2, idx, a3);
      _mm512_storeu_ps(out[k], _mm512_shuffle_f32x4(lo, hi, 0x44));
    }
  }
  // dst[4 t + k] = in[k][t] for t < 16: the inverse.
  static void interleave4(const float* in0, const float* in1, const float* in2, const float* in3,
                          float* dst) {
    const __m512 p0 = _mm512_loadu_ps(in0), p1 = _mm512_loadu_ps(in1);
    const __m512 p2 = _mm512_loadu_ps(in2), p3 = _mm512_loadu_ps(in3);
    // Pairs first: (k0, k1) and (k2, k3) interleaved, then the pairs of pairs.
    const __m512 a = _mm512_unpacklo_ps(p0, p1), b = _mm512_unpackhi_ps(p0, p1);
    const __m512 c = _mm512_unpacklo_ps(p2, p3), d = _mm512_unpackhi_ps(p2, p3);
    const __m512 e = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const __m512 f = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(c)));
    const __m512 h = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    const __m512 i = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(b), _mm512_castps_pd(d)));
    // Each 128-bit lane of e, f, h, i now holds one tile's 4 values: tiles 4l, 4l+1, 4l+2, 4l+3.
    const __m512 ef_lo = _mm512_shuffle_f32x4(e, f, 0x44), ef_hi = _mm512_shuffle_f32x4(e, f, 0xEE);
    const __m512 hi_lo = _mm512_shuffle_f32x4(h, i, 0x44), hi_hi = _mm512_shuffle_f32x4(h, i, 0xEE);
    _mm512_storeu_ps(dst, _mm512_shuffle_f32x4(ef_lo, hi_lo, 0x88));
    _mm512_storeu_ps(dst + 16, _mm512_shuffle_f32x4(ef_lo, hi_lo, 0xDD));
    _mm512_storeu_ps(dst + 32, _mm512_shuffle_f32x4(ef_hi, hi_hi, 0x88));
    _mm512_storeu_ps(dst + 48, _mm512_shuffle_f32x4(ef_hi, hi_hi, 0xDD));
  }
  static void keep_in_register(V& v) { asm("" : "+v"(v)); }
  static float hsum(V v) {
    const __m256 h =
        _mm256_add_ps(_mm512_castps512_ps256(v),
                      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
  }
};

using T = Tuned<Avx512, 8, 2>;
using W = Winograd<Avx512, 8, 2, T>;
using CL = ChannelsLastWeights<Avx512, 8, 2>;
using CF = ChannelsLastForward<Avx512, 14, 2>;

void winograd_forward(const Geometry& g, const float* x, const float* w, const float* b, float* y) {
  W::forward(g, x, w, false, b, y);
}

}  // namespace

const Kernels& avx512_kernels() {
  static constexpr Kernels k{&T::forward,       &T::backward_data,          &T::backward_weights,
                             &winograd_forward, &W::backward_data,          &W::backward_weights,
                             &CL::applies,      &CL::backward_weights,      &CF::applies,
                             &CF::forward,      &CF::applies_backward_data, &CF::backward_data};
  return k;
}

}  // namespace glia::conv

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
