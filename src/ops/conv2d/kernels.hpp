// The tuned convolution kernels of each ISA (avx2.cpp, avx512.cpp), called by conv2d.cpp's one
// dispatch point per direction. Each takes a Geometry and raw NCHW buffers:
//   forward           x {N, C, H, W}, w {O, C, KH, KW}, bias {O} or null -> y {N, O, OH, OW}
//   backward_data     dy {N, O, OH, OW}, w -> dx {N, C, H, W}
//   backward_weights  dy, x -> dw {O, C, KH, KW} and, if db is not null, db {O}
// A kernel must only be called when cpu_supports() its ISA.
#pragma once

#include "geometry.hpp"

namespace glia::conv {

struct Kernels {
  void (*forward)(const Geometry& g, const float* x, const float* w, const float* bias, float* y);
  void (*backward_data)(const Geometry& g, const float* dy, const float* w, float* dx);
  void (*backward_weights)(const Geometry& g, const float* dy, const float* x, float* dw,
                           float* db);
};

const Kernels& avx2_kernels();
const Kernels& avx512_kernels();
// The AVX-512 kernels' blocking (8 rows by 32 columns) run with 16-lane vectors emulated on
// AVX2, so that the code every AVX-512 build runs is tested on machines without AVX-512.
const Kernels& avx512_blocking_on_avx2_kernels();

}  // namespace glia::conv
