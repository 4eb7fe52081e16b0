// The tuned convolution, written once for any SIMD width: each ISA's file (avx2.cpp,
// avx512.cpp) includes this inside its own `#pragma GCC target` region and instantiates
// Tuned<its vector traits, MR, NV>. Every direction is a GEMM on packed panels, BLIS-style:
//
//   forward           Y {O, T}    = W {O, K} * Col {K, T} + b     (T = N * OH * OW columns)
//   input gradient    stride 1:   the forward convolution of dY with the flipped, transposed
//                                 weights and padding K - 1 - pad (no im2col, no col2im);
//                     otherwise:  dCol {K, T} = W^T {K, O} * dY {O, T}, scattered by col2im
//   weight gradient   dW {O, K}  += dY {O, T} * Col^T {T, K}, reduced over T in chunks
//
// The register block holds MR rows by NR = NV * L columns of the result (L floats per vector):
// per step of the shared dimension it loads NV vectors of the B panel, broadcasts MR values of
// the A panel and issues MR * NV FMAs. Panels are zero padded to whole blocks, so the micro
// kernel never branches on edges:
//   A panels {ceil(M / MR)}{Kc}{MR}    B panels {ceil(cols / NR)}{Kc}{NR}
// Loop order (BLIS's): per shared-dimension block of kKc, each B micro-panel (kKc x NR) stays
// in L1 while every A micro-panel streams past it from L2.
//
// Summation order: every output element sums its products in ascending shared index, block by
// block, whatever the thread count; the weight gradient keeps one partial sum per thread over a
// fixed split of the images and adds the partials in thread order. So results are
// bit-identical for a given thread count and ISA.
//
// The traits type S provides: V (the vector type), L (floats per vector), loadu, storeu,
// broadcast (from memory), set1, zero, fmadd, hsum (the sum of a vector's lanes), and
// keep_in_register: an empty asm that claims to
// change a vector, so that GCC holds the B vectors in registers instead of folding their loads
// into every FMA that uses them (which makes the kernel load-bound: 16 loads per 12 FMAs
// instead of 7 for AVX2's block).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "geometry.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia::conv {

template <class S, int MR, int NV>
struct Tuned {
  using V = typename S::V;
  static constexpr int64_t kMr = MR;
  static constexpr int64_t kNr = NV * S::L;
  static constexpr int64_t kKc = 192;      // shared-dimension block
  static constexpr int64_t kNc = 8 * kNr;  // columns per forward work item

  // ---- the micro kernel ---------------------------------------------------------------------

  // C[MR][NR] (row stride ldc) = start + sum over k < kc of A[k][r] * B[k][v], where start is
  // C itself (accumulate) or bias[r] (or zero, when bias is null). Never inlined: the block
  // needs every vector register, and inlined into a caller GCC spills some of them.
  __attribute__((noinline)) static void micro(int64_t kc, const float* a, const float* b, float* c,
                                              int64_t ldc, bool accumulate, const float* bias) {
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        acc[r][v] = accumulate ? S::loadu(c + r * ldc + v * S::L)
                    : bias     ? S::set1(bias[r])
                               : S::zero();
      }
    }
    for (int64_t k = 0; k < kc; ++k) {
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        bv[v] = S::loadu(b + k * kNr + v * S::L);
        S::keep_in_register(bv[v]);
      }
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V av = S::broadcast(a + k * MR + r);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = S::fmadd(av, bv[v], acc[r][v]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) S::storeu(c + r * ldc + v * S::L, acc[r][v]);
    }
  }

  // The same block with B read straight from the input: row k of the panel is the NR floats at
  // src + offsets[k], and C (row stride ldc) starts from bias (or zero).
  __attribute__((noinline)) static void micro_direct(int64_t k, const float* a, const float* src,
                                                     const int64_t* offsets, float* c, int64_t ldc,
                                                     const float* bias) {
    V acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = bias ? S::set1(bias[r]) : S::zero();
    }
#pragma GCC unroll 2
    for (int64_t kk = 0; kk < k; ++kk) {
      const float* b = src + offsets[kk];
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        bv[v] = S::loadu(b + v * S::L);
        S::keep_in_register(bv[v]);
      }
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V av = S::broadcast(a + kk * MR + r);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = S::fmadd(av, bv[v], acc[r][v]);
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) S::storeu(c + r * ldc + v * S::L, acc[r][v]);
    }
  }

  // ---- packing ------------------------------------------------------------------------------

  // A {M, K}, given element by element (at(i, j)), as panels {ceil(M / MR)}{K}{MR}, zero
  // padded. Row blocks are packed in parallel: the weights of a wide layer are megabytes.
  template <class At>
  static std::vector<float> pack_a(int64_t m, int64_t k, At at) {
    const int64_t blocks = (m + MR - 1) / MR;
    std::vector<float> packed(static_cast<size_t>(blocks * k * MR));
    parallel_for(
        blocks,
        [&](int64_t block) {
          float* dst = packed.data() + block * k * MR;
          for (int64_t r = 0; r < MR; ++r) {
            const int64_t i = block * MR + r;
            for (int64_t j = 0; j < k; ++j) dst[j * MR + r] = i < m ? at(i, j) : 0.0f;
          }
        },
        std::max<int64_t>(1, 4096 / std::max<int64_t>(k * MR, 1)));
    return packed;
  }
  static std::vector<float> pack_a(const float* a, int64_t m, int64_t k, int64_t lda) {
    return pack_a(m, k, [=](int64_t i, int64_t j) { return a[i * lda + j]; });
  }

  // A piece of a block of columns: `len` consecutive outputs of one output row, all within one
  // panel of NR columns: they start at output column `ow`, at column t of the block. `source`
  // is the offset in x of the input row that patch row (c, kh, kw) = (0, 0, 0) reads, at output
  // column 0 (it may point before the row: only valid columns are read); `top` is that row's
  // index (oh * stride - pad_h), to check kh against the image's height.
  struct Piece {
    int64_t source, top, ow, t, len;
  };
  // The pieces of columns [j0, j0 + cols) (j = n * P + oh * OW + ow).
  static std::vector<Piece> pieces_of(const Geometry& g, int64_t j0, int64_t cols) {
    std::vector<Piece> pieces;
    const int64_t p_count = g.positions();
    for (int64_t t = 0; t < cols;) {
      const int64_t j = j0 + t, n = j / p_count, p = j % p_count;
      const int64_t oh = p / g.out_w, ow = p % g.out_w;
      const int64_t len = std::min({cols - t, g.out_w - ow, kNr - t % kNr});
      const int64_t top = oh * g.stride - g.pad_h;
      pieces.push_back({(n * g.channels * g.height + top) * g.width - g.pad_w, top, ow, t, len});
      t += len;
    }
    return pieces;
  }

  // Patch rows [k0, k1) of the block's columns (its `pieces`) of the image batch `x` (layout g)
  // as panels {ceil(cols / NR)}{k1 - k0}{NR}, zero where the patch falls outside the image.
  // Columns past the block's last one must already be zero in `out` (the caller clears them
  // once: they stay zero).
  static void pack_columns(const float* x, const Geometry& g, const std::vector<Piece>& pieces,
                           int64_t k0, int64_t k1, float* out) {
    const int64_t kc = k1 - k0, area = g.kernel_h * g.kernel_w;
    for (int64_t k = k0; k < k1; ++k) {
      const int64_t c = k / area, kh = (k % area) / g.kernel_w, kw = k % g.kernel_w;
      int64_t lo, hi;
      g.valid_columns(kw, lo, hi);
      const float* base = x + (c * g.height + kh) * g.width + kw;
      float* row = out + (k - k0) * kNr;
      for (const Piece& piece : pieces) {
        float* __restrict dst = row + (piece.t / kNr) * kc * kNr + piece.t % kNr;
        const int64_t ih = piece.top + kh;
        if (ih < 0 || ih >= g.height) {
          for (int64_t e = 0; e < piece.len; ++e) dst[e] = 0.0f;
          continue;
        }
        const float* __restrict src = base + piece.source;  // the input row at output column 0
        if (g.stride == 1 && piece.ow >= lo && piece.ow + piece.len <= hi) {
          src += piece.ow;
          if (piece.len == kNr) {
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) S::storeu(dst + v * S::L, S::loadu(src + v * S::L));
          } else {
            for (int64_t e = 0; e < piece.len; ++e) dst[e] = src[e];
          }
          continue;
        }
        if (piece.ow >= lo && piece.ow + piece.len <= hi) {
          const float* __restrict from = src + piece.ow * g.stride;
          for (int64_t e = 0; e < piece.len; ++e) dst[e] = from[e * g.stride];
          continue;
        }
        for (int64_t e = 0; e < piece.len; ++e) {
          const int64_t ow = piece.ow + e;
          dst[e] = ow >= lo && ow < hi ? src[ow * g.stride] : 0.0f;
        }
      }
    }
  }

  // ---- one GEMM over a block of columns -----------------------------------------------------

  // C {ceil(M / MR) * MR, ldc} = A * B + bias for `cols` columns, where A is packed (pack_a) with
  // K columns and pack_b(k0, k1, out) writes B's rows [k0, k1) of these columns as panels.
  template <class PackB>
  static void gemm_columns(const float* a, int64_t m, int64_t k, int64_t cols, PackB pack_b,
                           float* b_buffer, const float* bias, float* c, int64_t ldc) {
    const int64_t row_blocks = (m + MR - 1) / MR, panels = (cols + kNr - 1) / kNr;
    for (int64_t k0 = 0; k0 < k; k0 += kKc) {
      const int64_t k1 = std::min(k, k0 + kKc), kc = k1 - k0;
      pack_b(k0, k1, b_buffer);
      for (int64_t q = 0; q < panels; ++q) {
        for (int64_t rb = 0; rb < row_blocks; ++rb) {
          micro(kc, a + (rb * k + k0) * MR, b_buffer + q * kc * kNr, c + rb * MR * ldc + q * kNr,
                ldc, k0 > 0, bias ? bias + rb * MR : nullptr);
        }
      }
    }
  }

  // ---- forward ------------------------------------------------------------------------------

  // y {N, O, OH, OW} = conv(x, w) + bias (bias may be null).
  static void forward(const Geometry& g, const float* x, const float* w, const float* bias,
                      float* y) {
    const std::vector<float> a = pack_a(w, g.out_channels, g.patch(), g.patch());
    if (direct_fits(g)) {
      forward_direct(g, x, a, bias, y);
    } else {
      forward_packed(g, x, a, bias, y);
    }
  }

  // Stride 1 with rows of at least three panels and whole channel blocks: the input is read in
  // place (no im2col), which matters most for few channels and wide images (the seed's layer).
  static bool direct_fits(const Geometry& g) {
    return g.stride == 1 && g.out_channels % MR == 0 && g.out_w >= 3 * kNr && g.patch() <= 1024;
  }

  // The forward pass of a direct_fits() problem, one output row (n, oh) per work item: its whole
  // panels from the (zero-padded) input in place, its last partial panel through a packed copy.
  static void forward_direct(const Geometry& g, const float* x, const std::vector<float>& a,
                             const float* bias, float* y) {
    // Padding: a zero-padded copy of the input, read as an unpadded problem.
    Tensor padded;
    Geometry q = g;
    if (g.pad_h || g.pad_w) {
      const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
      padded = Tensor::zeros({g.batch * g.channels * hp * wp});
      parallel_for(g.batch * g.channels, [&](int64_t plane) {
        for (int64_t h = 0; h < g.height; ++h) {
          std::memcpy(padded.data() + (plane * hp + h + g.pad_h) * wp + g.pad_w,
                      x + (plane * g.height + h) * g.width,
                      sizeof(float) * static_cast<size_t>(g.width));
        }
      });
      x = padded.data();
      q.height = hp;
      q.width = wp;
      q.pad_h = q.pad_w = 0;
    }
    const int64_t m = q.out_channels, k = q.patch(), p_count = q.positions();
    const int64_t area = q.kernel_h * q.kernel_w, full = q.out_w / kNr, tail = q.out_w % kNr;
    std::vector<int64_t> offsets(static_cast<size_t>(k));
    for (int64_t r = 0; r < k; ++r) {
      offsets[static_cast<size_t>(r)] =
          ((r / area) * q.height + (r % area) / q.kernel_w) * q.width + r % q.kernel_w;
    }
    parallel_chunks(q.batch * q.out_h, [&](int64_t begin, int64_t end, int) {
      Tensor panel = tail ? Tensor::zeros({k * kNr}) : Tensor();
      Tensor c_tail = Tensor::empty({MR * kNr});
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / q.out_h, oh = item % q.out_h;
        const float* src_row = x + n * q.image_size() + oh * q.width;
        float* y_row = y + n * m * p_count + oh * q.out_w;
        if (tail) {  // the last columns, gathered into a zero-padded panel
          for (int64_t r = 0; r < k; ++r) {
            std::memcpy(panel.data() + r * kNr,
                        src_row + full * kNr + offsets[static_cast<size_t>(r)],
                        sizeof(float) * static_cast<size_t>(tail));
          }
        }
        for (int64_t rb = 0; rb < m / MR; ++rb) {
          const float* a_rb = a.data() + rb * k * MR;
          const float* bias_rb = bias ? bias + rb * MR : nullptr;
          float* y_block = y_row + rb * MR * p_count;
          for (int64_t panel_index = 0; panel_index < full; ++panel_index) {
            micro_direct(k, a_rb, src_row + panel_index * kNr, offsets.data(),
                         y_block + panel_index * kNr, p_count, bias_rb);
          }
          if (tail) {
            micro(k, a_rb, panel.data(), c_tail.data(), kNr, false, bias_rb);
            for (int64_t r = 0; r < MR; ++r) {
              std::memcpy(y_block + r * p_count + full * kNr, c_tail.data() + r * kNr,
                          sizeof(float) * static_cast<size_t>(tail));
            }
          }
        }
      }
    });
  }

  // The forward pass with the weights already packed (pack_a).
  static void forward_packed(const Geometry& g, const float* x, const std::vector<float>& a,
                             const float* bias, float* y) {
    const int64_t m = g.out_channels, k = g.patch(), total = g.columns(), p_count = g.positions();
    std::vector<float> padded_bias;
    if (bias) {
      padded_bias.assign(static_cast<size_t>(round_up(m, MR)), 0.0f);
      std::copy(bias, bias + m, padded_bias.begin());
    }
    const int64_t items = (total + kNc - 1) / kNc;
    parallel_chunks(items, [&](int64_t begin, int64_t end, int) {
      Tensor b_buffer = Tensor::zeros({std::min(k, kKc) * kNc});
      Tensor c = Tensor::empty({round_up(m, MR) * kNc});
      for (int64_t item = begin; item < end; ++item) {
        const int64_t j0 = item * kNc, cols = std::min(kNc, total - j0);
        const std::vector<Piece> pieces = pieces_of(g, j0, cols);
        if (cols < kNc)
          std::fill_n(b_buffer.data(), b_buffer.numel(), 0.0f);  // the short last block
        gemm_columns(
            a.data(), m, k, cols,
            [&](int64_t k0, int64_t k1, float* out) { pack_columns(x, g, pieces, k0, k1, out); },
            b_buffer.data(), bias ? padded_bias.data() : nullptr, c.data(), kNc);
        // C's rows to y: contiguous runs within one image.
        for (int64_t t = 0; t < cols;) {
          const int64_t j = j0 + t, n = j / p_count, p = j % p_count;
          const int64_t run = std::min(cols - t, p_count - p);
          for (int64_t o = 0; o < m; ++o) {
            std::memcpy(y + (n * m + o) * p_count + p, c.data() + o * kNc + t,
                        sizeof(float) * static_cast<size_t>(run));
          }
          t += run;
        }
      }
    });
  }

  // ---- input gradient -----------------------------------------------------------------------

  // dx {N, C, H, W} from dy {N, O, OH, OW}.
  static void backward_data(const Geometry& g, const float* dy, const float* w, float* dx) {
    const int64_t kh = g.kernel_h, kw = g.kernel_w;
    // The flip needs stride 1 and enough input channels to fill register blocks of MR rows;
    // with few channels (a first layer) the GEMM + col2im form wastes less.
    if (g.stride == 1 && g.pad_h <= kh - 1 && g.pad_w <= kw - 1 && g.channels >= 2 * MR) {
      // dx = conv(dy, w') with w'[c][o][i][j] = w[o][c][KH-1-i][KW-1-j] and padding K - 1 - pad.
      const int64_t area = kh * kw, o_count = g.out_channels, c_count = g.channels;
      const std::vector<float> a = pack_a(c_count, o_count * area, [&](int64_t c, int64_t r) {
        const int64_t o = r / area, i = (r % area) / kw, j = r % kw;
        return w[((o * c_count + c) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
      });
      const Geometry t({g.batch, o_count, g.out_h, g.out_w}, {c_count, o_count, kh, kw}, 1,
                       kh - 1 - g.pad_h, kw - 1 - g.pad_w);
      forward_packed(t, dy, a, nullptr, dx);
      return;
    }
    // dCol = W^T dy, then col2im, one image per work item (col2im of neighbouring columns
    // scatters into overlapping inputs).
    const int64_t m = g.patch(), o_count = g.out_channels, p_count = g.positions();
    const std::vector<float> a =
        pack_a(m, o_count, [&](int64_t r, int64_t o) { return w[o * m + r]; });
    // dy as the image batch of a 1x1 convolution with O channels: its "patches" are dy's rows.
    const Geometry dy_layout({g.batch, o_count, g.out_h, g.out_w}, {m, o_count, 1, 1}, 1, 0, 0);
    parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int) {
      Tensor b_buffer = Tensor::zeros({std::min(o_count, kKc) * kNc});
      Tensor dcol = Tensor::empty({round_up(m, MR) * kNc});
      for (int64_t n = begin; n < end; ++n) {
        float* dx_n = dx + n * g.image_size();
        std::fill_n(dx_n, g.image_size(), 0.0f);
        for (int64_t p0 = 0; p0 < p_count; p0 += kNc) {
          const int64_t cols = std::min(kNc, p_count - p0), j0 = n * p_count + p0;
          const std::vector<Piece> pieces = pieces_of(dy_layout, j0, cols);
          if (cols < kNc) std::fill_n(b_buffer.data(), b_buffer.numel(), 0.0f);
          gemm_columns(
              a.data(), m, o_count, cols,
              [&](int64_t k0, int64_t k1, float* out) {
                pack_columns(dy, dy_layout, pieces, k0, k1, out);
              },
              b_buffer.data(), nullptr, dcol.data(), kNc);
          col2im(g, dcol.data(), kNc, p0, cols, dx_n);
        }
      }
    });
  }

  // dx_n += the patches dcol {K, ld} of positions [p0, p0 + cols) of one image.
  static void col2im(const Geometry& g, const float* dcol, int64_t ld, int64_t p0, int64_t cols,
                     float* dx_n) {
    const int64_t area = g.kernel_h * g.kernel_w;
    for (int64_t k = 0; k < g.patch(); ++k) {
      const int64_t c = k / area, kh = (k % area) / g.kernel_w, kw = k % g.kernel_w;
      int64_t lo, hi;
      g.valid_columns(kw, lo, hi);
      const float* src = dcol + k * ld;
      for (int64_t t = 0; t < cols;) {
        const int64_t p = p0 + t, oh = p / g.out_w, ow0 = p % g.out_w;
        const int64_t run = std::min(cols - t, g.out_w - ow0);
        const int64_t ih = oh * g.stride - g.pad_h + kh;
        if (ih >= 0 && ih < g.height) {
          float* dst = dx_n + (c * g.height + ih) * g.width - g.pad_w + kw;
          const int64_t from = std::max(ow0, lo), to = std::min(ow0 + run, hi);
          for (int64_t ow = from; ow < to; ++ow) dst[ow * g.stride] += src[t + ow - ow0];
        }
        t += run;
      }
    }
  }

  // ---- weight gradient ----------------------------------------------------------------------

  // Rows [0, M) of `src` {M rows of length row_len, row stride ld} at columns [j0, j0 + kc),
  // transposed into panels {ceil(M / R)}{kc}{R} (R = MR or NR), zero padded.
  template <int64_t R, class RowOf>
  static void pack_transposed(int64_t m, int64_t kc, RowOf row_of, float* out) {
    const int64_t blocks = (m + R - 1) / R;
    for (int64_t i = 0; i < blocks * R; ++i) {
      float* dst = out + (i / R) * kc * R + i % R;
      if (i >= m) {
        for (int64_t t = 0; t < kc; ++t) dst[t * R] = 0.0f;
        continue;
      }
      row_of(i, dst);
    }
  }

  // {dW {O, C, KH, KW}, db {O} (when db is not null)} from dy and x.
  static void backward_weights(const Geometry& g, const float* dy, const float* x, float* dw,
                               float* db) {
    // Direct needs stride 1 and wide rows: each block's dot products then run long enough to
    // pay for their horizontal sums, and few lanes are wasted past a row's end. Narrow layers
    // (ResNet's 28x28 and below) go through the packed GEMM.
    if (g.stride == 1 && g.out_w >= 96) {
      backward_weights_direct(g, dy, x, dw, db);
    } else {
      backward_weights_packed(g, dy, x, dw, db);
    }
  }

  // Stride 1: dot products along the output positions, read in place. A block of MR output
  // channels by 3 patch rows keeps MR * 3 vectors of partial sums (each lane sums every L-th
  // position); a step loads 3 input vectors (the patch rows are the input at three offsets)
  // and MR dy vectors for MR * 3 FMAs. dy's rows are copied with their length rounded up to L
  // (zeros after the last position), so every step is whole; the input is a zero-padded copy
  // with slack at the end, so the steps past a row's last position read (finite) values that
  // are multiplied by those zeros.
  __attribute__((noinline)) static void dot_block(int64_t rows, int64_t groups, const float* x_row,
                                                  int64_t x_stride, const int64_t* offsets,
                                                  const float* dy_row, int64_t dy_stride,
                                                  int64_t dy_channel, float* out) {
    V acc[MR][3];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) acc[r][j] = S::zero();
    }
    for (int64_t row = 0; row < rows; ++row) {
      const float* x0 = x_row + row * x_stride + offsets[0];
      const float* x1 = x_row + row * x_stride + offsets[1];
      const float* x2 = x_row + row * x_stride + offsets[2];
      const float* d = dy_row + row * dy_stride;
#pragma GCC unroll 1
      for (int64_t q = 0; q < groups; ++q) {
        V xv[3] = {S::loadu(x0 + q * S::L), S::loadu(x1 + q * S::L), S::loadu(x2 + q * S::L)};
#pragma GCC unroll 3
        for (int j = 0; j < 3; ++j) S::keep_in_register(xv[j]);
#pragma GCC unroll 16
        for (int r = 0; r < MR; ++r) {
          V dv = S::loadu(d + r * dy_channel + q * S::L);
          S::keep_in_register(dv);
#pragma GCC unroll 3
          for (int j = 0; j < 3; ++j) acc[r][j] = S::fmadd(dv, xv[j], acc[r][j]);
        }
      }
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) out[r * 3 + j] = S::hsum(acc[r][j]);
    }
  }

  static void backward_weights_direct(const Geometry& g, const float* dy, const float* x, float* dw,
                                      float* db) {
    const int64_t m = g.out_channels, k = g.patch(), p_count = g.positions();
    const int64_t mp = round_up(m, MR), kp = round_up(k, 3), area = g.kernel_h * g.kernel_w;
    const int64_t wp = g.width + 2 * g.pad_w, hp = g.height + 2 * g.pad_h;
    const int64_t owp = round_up(g.out_w, S::L), groups = owp / S::L;
    // Patch row r reads the padded input at offset (c * HP + kh) * WP + kw; rows past K repeat
    // the last one (their sums are dropped).
    std::vector<int64_t> offsets(static_cast<size_t>(kp));
    for (int64_t r = 0; r < kp; ++r) {
      const int64_t rr = std::min(r, k - 1);
      offsets[static_cast<size_t>(r)] =
          ((rr / area) * hp + (rr % area) / g.kernel_w) * wp + rr % g.kernel_w;
    }
    const int threads = num_threads();
    std::vector<std::vector<double>> partial(static_cast<size_t>(threads));
    std::vector<std::vector<double>> partial_bias(static_cast<size_t>(threads));
    constexpr int64_t kBand = 8;  // output rows per pass: their input and dy stay in L2
    parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int thread) {
      std::vector<double>& acc = partial[static_cast<size_t>(thread)];
      acc.assign(static_cast<size_t>(mp * kp), 0.0);
      std::vector<double>& bias_acc = partial_bias[static_cast<size_t>(thread)];
      bias_acc.assign(static_cast<size_t>(m), 0.0);
      // One image at a time: its zero-padded input (plus a row of slack) and its dy with rows
      // of owp, zero beyond OW; channels past O are zero too.
      Tensor xp = Tensor::zeros({g.channels * hp * wp + wp + S::L});
      Tensor dyp = Tensor::zeros({mp * g.out_h * owp});
      float block[MR * 3];
      for (int64_t n = begin; n < end; ++n) {
        for (int64_t plane = 0; plane < g.channels; ++plane) {
          for (int64_t h = 0; h < g.height; ++h) {
            std::memcpy(xp.data() + (plane * hp + h + g.pad_h) * wp + g.pad_w,
                        x + ((n * g.channels + plane) * g.height + h) * g.width,
                        sizeof(float) * static_cast<size_t>(g.width));
          }
        }
        for (int64_t o = 0; o < m; ++o) {
          const float* src = dy + (n * m + o) * p_count;
          double bias_sum = 0.0;
          for (int64_t oh = 0; oh < g.out_h; ++oh) {
            std::memcpy(dyp.data() + (o * g.out_h + oh) * owp, src + oh * g.out_w,
                        sizeof(float) * static_cast<size_t>(g.out_w));
            for (int64_t ow = 0; ow < g.out_w; ++ow) bias_sum += src[oh * g.out_w + ow];
          }
          bias_acc[static_cast<size_t>(o)] += bias_sum;
        }
        for (int64_t r0 = 0; r0 < g.out_h; r0 += kBand) {
          const int64_t rows = std::min(kBand, g.out_h - r0);
          for (int64_t rb = 0; rb < mp / MR; ++rb) {
            for (int64_t kb = 0; kb < kp / 3; ++kb) {
              dot_block(rows, groups, xp.data() + r0 * wp, wp, offsets.data() + kb * 3,
                        dyp.data() + (rb * MR * g.out_h + r0) * owp, owp, g.out_h * owp, block);
              for (int64_t r = 0; r < MR; ++r) {
                for (int64_t j = 0; j < 3; ++j) {
                  acc[static_cast<size_t>((rb * MR + r) * kp + kb * 3 + j)] += block[r * 3 + j];
                }
              }
            }
          }
        }
      }
    });
    // Partials in thread order: the same sums for the same thread count.
    std::vector<double> total(static_cast<size_t>(m * k), 0.0),
        bias_total(static_cast<size_t>(m), 0.0);
    for (int t = 0; t < threads; ++t) {
      const std::vector<double>& acc = partial[static_cast<size_t>(t)];
      if (acc.empty()) continue;
      for (int64_t o = 0; o < m; ++o) {
        for (int64_t r = 0; r < k; ++r)
          total[static_cast<size_t>(o * k + r)] += acc[static_cast<size_t>(o * kp + r)];
        bias_total[static_cast<size_t>(o)] +=
            partial_bias[static_cast<size_t>(t)][static_cast<size_t>(o)];
      }
    }
    for (int64_t i = 0; i < m * k; ++i) dw[i] = static_cast<float>(total[static_cast<size_t>(i)]);
    if (db) {
      for (int64_t o = 0; o < m; ++o)
        db[o] = static_cast<float>(bias_total[static_cast<size_t>(o)]);
    }
  }

  static void backward_weights_packed(const Geometry& g, const float* dy, const float* x, float* dw,
                                      float* db) {
    const int64_t m = g.out_channels, k = g.patch(), p_count = g.positions();
    const int64_t mp = round_up(m, MR), kp = round_up(k, kNr);
    const int threads = num_threads();
    std::vector<std::vector<float>> partial(static_cast<size_t>(threads));
    std::vector<std::vector<double>> partial_bias(static_cast<size_t>(threads));
    const int64_t area = g.kernel_h * g.kernel_w;
    // Images split statically across threads: each keeps its own dW and reduces it at the end.
    parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int thread) {
      std::vector<float>& acc = partial[static_cast<size_t>(thread)];
      acc.assign(static_cast<size_t>(mp * kp), 0.0f);
      std::vector<double>& bias_acc = partial_bias[static_cast<size_t>(thread)];
      bias_acc.assign(static_cast<size_t>(m), 0.0);
      Tensor a_buffer = Tensor::empty({mp * kKc}), b_buffer = Tensor::empty({kp * kKc});
      const int64_t total = (end - begin) * p_count, first = begin * p_count;
      for (int64_t j0 = 0; j0 < total; j0 += kKc) {
        const int64_t kc = std::min(kKc, total - j0);
        // A: dy^T, rows o: dy[n][o][p] for the chunk's columns j = (n, p).
        pack_transposed<MR>(
            m, kc,
            [&](int64_t o, float* dst) {
              for (int64_t t = 0; t < kc;) {
                const int64_t j = first + j0 + t, n = j / p_count, p = j % p_count;
                const int64_t run = std::min(kc - t, p_count - p);
                const float* src = dy + (n * m + o) * p_count + p;
                for (int64_t e = 0; e < run; ++e) dst[(t + e) * MR] = src[e];
                t += run;
              }
            },
            a_buffer.data());
        // B: Col^T, rows k = (c, kh, kw).
        pack_transposed<kNr>(
            k, kc,
            [&](int64_t r, float* dst) {
              const int64_t c = r / area, kh = (r % area) / g.kernel_w, kw = r % g.kernel_w;
              int64_t lo, hi;
              g.valid_columns(kw, lo, hi);
              for (int64_t t = 0; t < kc;) {
                const int64_t j = first + j0 + t, n = j / p_count, p = j % p_count;
                const int64_t oh = p / g.out_w, ow0 = p % g.out_w;
                const int64_t run = std::min(kc - t, g.out_w - ow0);
                const int64_t ih = oh * g.stride - g.pad_h + kh;
                const float* src =
                    x + ((n * g.channels + c) * g.height + ih) * g.width - g.pad_w + kw;
                const bool inside = ih >= 0 && ih < g.height;
                for (int64_t e = 0; e < run; ++e) {
                  const int64_t ow = ow0 + e;
                  dst[(t + e) * kNr] = inside && ow >= lo && ow < hi ? src[ow * g.stride] : 0.0f;
                }
                t += run;
              }
            },
            b_buffer.data());
        for (int64_t q = 0; q < kp / kNr; ++q) {
          for (int64_t rb = 0; rb < mp / MR; ++rb) {
            micro(kc, a_buffer.data() + rb * kc * MR, b_buffer.data() + q * kc * kNr,
                  acc.data() + rb * MR * kp + q * kNr, kp, true, nullptr);
          }
        }
      }
      if (db) {
        for (int64_t n = begin; n < end; ++n)
          for (int64_t o = 0; o < m; ++o) {
            const float* row = dy + (n * m + o) * p_count;
            double s = 0.0;
            for (int64_t p = 0; p < p_count; ++p) s += row[p];
            bias_acc[static_cast<size_t>(o)] += s;
          }
      }
    });
    // Partials in thread order: the same sums for the same thread count.
    std::fill_n(dw, m * k, 0.0f);
    std::vector<double> bias_total(static_cast<size_t>(m), 0.0);
    for (int t = 0; t < threads; ++t) {
      const std::vector<float>& acc = partial[static_cast<size_t>(t)];
      if (acc.empty()) continue;
      for (int64_t o = 0; o < m; ++o)
        for (int64_t r = 0; r < k; ++r) dw[o * k + r] += acc[static_cast<size_t>(o * kp + r)];
      for (int64_t o = 0; o < m; ++o)
        bias_total[static_cast<size_t>(o)] +=
            partial_bias[static_cast<size_t>(t)][static_cast<size_t>(o)];
    }
    if (db) {
      for (int64_t o = 0; o < m; ++o)
        db[o] = static_cast<float>(bias_total[static_cast<size_t>(o)]);
    }
  }
};

}  // namespace glia::conv
