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

#include "channels_last_forward.hpp"
#include "channels_last_weights.hpp"
#include "tuned.hpp"
#include "winograd.hpp"

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
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V neg(V a) { return _mm256_sub_ps(_mm256_setzero_ps(), a); }
  // out[k][t] = src[4 t + k] for t < 8: 32 floats split into their 4 phases (a 4 x 4 transpose
  // of each half).
  static void deinterleave4(const float* src, float* out0, float* out1, float* out2, float* out3) {
    __m128 r0 = _mm_loadu_ps(src), r1 = _mm_loadu_ps(src + 4), r2 = _mm_loadu_ps(src + 8),
           r3 = _mm_loadu_ps(src + 12), r4 = _mm_loadu_ps(src + 16), r5 = _mm_loadu_ps(src + 20),
           r6 = _mm_loadu_ps(src + 24), r7 = _mm_loadu_ps(src + 28);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _MM_TRANSPOSE4_PS(r4, r5, r6, r7);
    _mm256_storeu_ps(out0, _mm256_set_m128(r4, r0));
    _mm256_storeu_ps(out1, _mm256_set_m128(r5, r1));
    _mm256_storeu_ps(out2, _mm256_set_m128(r6, r2));
    _mm256_storeu_ps(out3, _mm256_set_m128(r7, r3));
  }
  // dst[4 t + k] = in[k][t] for t < 8: the inverse.
  static void interleave4(const float* in0, const float* in1, const float* in2, const float* in3,
                          float* dst) {
    __m128 r0 = _mm_loadu_ps(in0), r1 = _mm_loadu_ps(in1), r2 = _mm_loadu_ps(in2),
           r3 = _mm_loadu_ps(in3), r4 = _mm_loadu_ps(in0 + 4), r5 = _mm_loadu_ps(in1 + 4),
           r6 = _mm_loadu_ps(in2 + 4), r7 = _mm_loadu_ps(in3 + 4);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _MM_TRANSPOSE4_PS(r4, r5, r6, r7);
    _mm_storeu_ps(dst, r0);
    _mm_storeu_ps(dst + 4, r1);
    _mm_storeu_ps(dst + 8, r2);
    _mm_storeu_ps(dst + 12, r3);
    _mm_storeu_ps(dst + 16, r4);
    _mm_storeu_ps(dst + 20, r5);
    _mm_storeu_ps(dst + 24, r6);
    _mm_storeu_ps(dst + 28, r7);
  }
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
  static V add(V a, V b) { return {Avx2::add(a.lo, b.lo), Avx2::add(a.hi, b.hi)}; }
  static V sub(V a, V b) { return {Avx2::sub(a.lo, b.lo), Avx2::sub(a.hi, b.hi)}; }
  static V mul(V a, V b) { return {Avx2::mul(a.lo, b.lo), Avx2::mul(a.hi, b.hi)}; }
  static V neg(V a) { return {Avx2::neg(a.lo), Avx2::neg(a.hi)}; }
  static void deinterleave4(const float* src, float* out0, float* out1, float* out2, float* out3) {
    Avx2::deinterleave4(src, out0, out1, out2, out3);
    Avx2::deinterleave4(src + 32, out0 + 8, out1 + 8, out2 + 8, out3 + 8);
  }
  static void interleave4(const float* in0, const float* in1, const float* in2, const float* in3,
                          float* dst) {
    Avx2::interleave4(in0, in1, in2, in3, dst);
    Avx2::interleave4(in0 + 8, in1 + 8, in2 + 8, in3 + 8, dst + 32);
  }
  static void keep_in_register(V& v) { asm("" : "+x"(v.lo), "+x"(v.hi)); }
  static float hsum(V v) { return Avx2::hsum(_mm256_add_ps(v.lo, v.hi)); }
};

// The channels-last kernels' register blocks: CR input channels by CNV output-channel vectors
// for the weight gradient, RW positions by CNV vectors for the forward pass.
template <class S, int MR, int NV, int CR, int CNV, int RW>
struct Both {
  using T = Tuned<S, MR, NV>;
  using W = Winograd<S, MR, NV, T>;
  using CL = ChannelsLastWeights<S, CR, CNV>;
  using CF = ChannelsLastForward<S, RW, CNV>;
  static void winograd_forward(const Geometry& g, const float* x, const float* w, const float* b,
                               float* y) {
    W::forward(g, x, w, false, b, y);
  }
  static constexpr Kernels kernels{
      &T::forward,       &T::backward_data,          &T::backward_weights,
      &winograd_forward, &W::backward_data,          &W::backward_weights,
      &CL::applies,      &CL::backward_weights,      &CF::applies,
      &CF::forward,      &CF::applies_backward_data, &CF::backward_data};
};

}  // namespace

const Kernels& avx2_kernels() {
  return Both<Avx2, 4, 3, 6, 2, 6>::kernels;
}

const Kernels& avx512_blocking_on_avx2_kernels() {
  return Both<Emulated16, 8, 2, 8, 2, 14>::kernels;
}

}  // namespace glia::conv

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
