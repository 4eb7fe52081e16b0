// The tuned GEMMs behind conv2d (AVX2 + FMA, chosen at run time), and the packed layouts they
// read. The Eigen path in conv2d.cpp is the reference; tests check these against it.
//
// Packed layouts (zero padded, so the kernels never branch on edges):
//   weights  {ceil(O/4)}{Kp}{4}      Kp = K rounded up to a multiple of 3
//   columns  {ceil(T/24)}{Kp}{24}    24 output positions per panel
//   dy       {ceil(O/4)*4}{Tp}       Tp = T rounded up to a multiple of 24
#pragma once

#include <cstdint>

namespace glia::detail {

constexpr int64_t kPanelWidth = 24;  // output positions per column panel (3 AVX registers)
constexpr int64_t kRowBlock = 4;     // output channels per register block
constexpr int64_t kPatchBlock = 3;   // patch rows per weight-gradient register block

inline int64_t round_up(int64_t n, int64_t m) {
  return (n + m - 1) / m * m;
}

// True when this CPU runs AVX2 and FMA.
bool cpu_has_avx2_fma();

// y[o][t] (row stride ldy) = bias[o] + sum_k W[o][k] col[k][t], for o < O, t < T.
void conv_forward_avx2(const float* packed_w, const float* packed_col, int64_t out_channels,
                       int64_t kp, int64_t t_cols, const float* bias, float* y, int64_t ldy);

// dw[o][k] (row stride K) += sum_t dy[o][t] col[k][t], for o < O, k < K.
void conv_weight_grad_avx2(const float* packed_dy, const float* packed_col, int64_t out_channels,
                           int64_t k, int64_t kp, int64_t tp, float* dw);

// Stride-1 convolutions need no im2col: patch row k of output positions [t, t + 24) is the input
// at src + offsets[k] + [0, 24) (offsets[k] = (c*H + kh)*W + kw in an unpadded image).
// These read the input directly; `width` of the 24 positions are valid (the rest are read from
// the same input rows and must stay inside the image: callers pass full panels only).

// For `panels` consecutive panels q of one output row:
// y[o][24q + j] (row stride ldy) = bias[o] + sum_k W[o][k] src[24q + offsets[k] + j].
void conv_forward_direct_avx2(const float* packed_w, const float* src, const int64_t* offsets,
                              int64_t out_channels, int64_t k, int64_t kp, const float* bias,
                              float* y, int64_t ldy, int64_t panels);

// dw[o][k] += sum over the panels p and j < 24 of dy_p[o][j] * src_p[offsets[k] + j], where
// panel p reads src + src_offsets[p] and dy + dy_offsets[p] (dy row stride ldy).
void conv_weight_grad_direct_avx2(const float* dy, const int64_t* dy_offsets, int64_t ldy,
                                  const float* src, const int64_t* src_offsets, int64_t panels,
                                  const int64_t* offsets, int64_t out_channels, int64_t k,
                                  float* dw);

}  // namespace glia::detail
