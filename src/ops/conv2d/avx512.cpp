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

#include "tuned.hpp"

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

}  // namespace

const Kernels& avx512_kernels() {
  using T = Tuned<Avx512, 8, 2>;
  static constexpr Kernels k{&T::forward, &T::backward_data, &T::backward_weights};
  return k;
}

}  // namespace glia::conv

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
