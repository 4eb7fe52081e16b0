// The tuned convolution for AVX2 + FMA: 4 x 24 register blocks (12 of the 16 ymm registers).
//
// Headers first, then the target region: only this file's own code is compiled for AVX2, never
// a library function that another file might share.
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
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#include "tuned.hpp"

namespace glia::conv {
namespace {

struct Avx2 {
  using V = __m256;
  static constexpr int L = 8;
  static V loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  static V zero() { return _mm256_setzero_ps(); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void keep_in_register(V& v) { asm("" : "+x"(v)); }
  static float hsum(V v) {
    const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
  }
};

// 16 lanes as two AVX2 registers: the AVX-512 blocking, testable without AVX-512.
struct Emulated16 {
  struct V {
    __m256 lo, hi;
  };
  static constexpr int L = 16;
  static V loadu(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static void storeu(float* p, V v) {
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
  }
  static V broadcast(const float* p) {
    const __m256 b = _mm256_broadcast_ss(p);
    return {b, b};
  }
  static V set1(float v) { return {_mm256_set1_ps(v), _mm256_set1_ps(v)}; }
  static V zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static V fmadd(V a, V b, V c) {
    return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
  }
  static void keep_in_register(V& v) { asm("" : "+x"(v.lo), "+x"(v.hi)); }
  static float hsum(V v) { return Avx2::hsum(_mm256_add_ps(v.lo, v.hi)); }
};

template <class T>
constexpr Kernels kernels_of() {
  return {&T::forward, &T::backward_data, &T::backward_weights};
}

}  // namespace

const Kernels& avx2_kernels() {
  static constexpr Kernels k = kernels_of<Tuned<Avx2, 4, 3>>();
  return k;
}

const Kernels& avx512_blocking_on_avx2_kernels() {
  static constexpr Kernels k = kernels_of<Tuned<Emulated16, 8, 2>>();
  return k;
}

}  // namespace glia::conv

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
