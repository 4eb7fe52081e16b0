// The tuned convolution kernels of each ISA (avx2.cpp, avx512.cpp), called by conv2d.cpp's one
// dispatch point per direction. Each takes a Geometry and raw NCHW buffers:
//   forward           x {N, C, H, W}, w {O, C, KH, KW}, bias {O} or null -> y {N, O, OH, OW}
//   backward_data     dy {N, O, OH, OW}, w -> dx {N, C, H, W}
//   backward_weights  dy, x -> dw {O, C, KH, KW} and, if db is not null, db {O}
// and the same three by Winograd F(4x4, 3x3) (winograd.hpp), for problems winograd_applies(),
// and channels-last: the weight gradient (channels_last_weights.hpp), the forward pass and the
// stride-1 input gradient (channels_last_forward.hpp), each for the problems its *_appl* accepts.
// A kernel must only be called when cpu_supports() its ISA.
#pragma once

#include "geometry.hpp"

namespace glia::conv {

struct Kernels {
  void (*forward)(const Geometry& g, const float* x, const float* w, const float* bias, float* y);
  void (*backward_data)(const Geometry& g, const float* dy, const float* w, float* dx);
  void (*backward_weights)(const Geometry& g, const float* dy, const float* x, float* dw,
                           float* db);
  void (*winograd_forward)(const Geometry& g, const float* x, const float* w, const float* bias,
                           float* y);
  void (*winograd_backward_data)(const Geometry& g, const float* dy, const float* w, float* dx);
  void (*winograd_backward_weights)(const Geometry& g, const float* dy, const float* x, float* dw,
                                    float* db);
  bool (*channels_last_weights_apply)(const Geometry& g);
  void (*channels_last_backward_weights)(const Geometry& g, const float* dy, const float* x,
                                         float* dw, float* db);
  bool (*channels_last_forward_applies)(const Geometry& g);
  void (*channels_last_forward)(const Geometry& g, const float* x, const float* w,
                                const float* bias, float* y);
  bool (*channels_last_backward_data_applies)(const Geometry& g);
  void (*channels_last_backward_data)(const Geometry& g, const float* dy, const float* w,
                                      float* dx);
};

// Winograd F(4x4, 3x3) applies to 3x3 kernels at stride 1 with padding 0 to 2.
inline bool winograd_applies(const Geometry& g) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.stride == 1 && g.pad_h >= 0 && g.pad_h <= 2 &&
         g.pad_w >= 0 && g.pad_w <= 2;
}

const Kernels& avx2_kernels();
const Kernels& avx512_kernels();
// The AVX-512 kernels' blocking (8 rows by 32 columns) run with 16-lane vectors emulated on
// AVX2, so that the code every AVX-512 build runs is tested on machines without AVX-512.
const Kernels& avx512_blocking_on_avx2_kernels();

}  // namespace glia::conv
