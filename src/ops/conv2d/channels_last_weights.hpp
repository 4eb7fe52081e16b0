// The weight gradient computed channels-last, tap by tap, with no im2col.
//
//   dW[o][c][kh][kw] = sum over images n and output positions (oh, ow) of
//                      dy[n][o][oh][ow] * x[n][c][oh * stride - pad_h + kh][ow * stride - pad_w +
//                      kw]
//
// For one tap (kh, kw) this is a sum over positions of an outer product of two channel vectors:
// the input's channels at the shifted position and dy's at the output position. So each image is
// transposed once into channel-blocked buffers, as oneDNN keeps activations (nChw16c): x in
// blocks of CR channels, zero padded on all four sides, and dy in blocks of NR = NV * L. A
// register block of CR input by NR output channels then sums, per tap, along the positions: each
// step loads NV vectors of dy and broadcasts CR input values, both contiguous, for CR * NV FMAs.
// The block stays in registers across a whole band of positions (rows of an image, or several
// small images). The transposes cost one pass over x and dy, where a GEMM on im2col columns
// packs KH * KW shifted copies of the input.
//
// Loops per band: output-channel block, input-channel block, tap. The band's dy block (about
// kSteps * NR floats) and input block stay in L1 while the taps run over them, and the dW tiles
// are stored in the order the loops visit them, so their loads and stores stream.
//
// Summation order: images are split statically across threads; each thread sums its bands in
// order into its own dW, and the threads' dWs are added in thread order. So results are
// bit-identical for a given thread count and ISA.
//
// S is the vector traits type of tuned.hpp (loadu, storeu, broadcast, fmadd, keep_in_register).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "channels_last.hpp"
#include "geometry.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia::conv {

template <class S, int CR, int NV>
struct ChannelsLastWeights {
  using V = typename S::V;
  using Copies = ChannelsLastCopies<S>;
  static constexpr int64_t kCr = CR;
  static constexpr int64_t kNr = NV * S::L;
  static constexpr int64_t kSteps = 128;       // positions per band: dy's block fills part of L1
  static constexpr double kL2Bytes = 1 << 20;  // what one thread's dW may take of L2

  static bool fills(int64_t count, int64_t block) {
    return 4 * round_up(count, block) <= 5 * count;
  }
  // A layer with too few input channels for whole blocks (the seed's 3) is unfolded along its
  // kernel rows at stride 1: input channel c and kernel row kh become channel c * KH + kh of an
  // input whose row r is the original's row r + kh - pad_h (zero outside), with a kernel of one
  // row. dW's layout {O, C, KH, KW} is the unfolded problem's {O, C * KH, 1, KW}.
  static bool unfolds(const Geometry& g) {
    return g.stride == 1 && g.kernel_h > 1 && !fills(g.channels, kCr) &&
           fills(g.channels * g.kernel_h, kCr);
  }
  // Where channels padded to whole blocks (after unfolding) waste at most a quarter of the work.
  static bool applies(const Geometry& g) {
    return fills(g.out_channels, kNr) && (fills(g.channels, kCr) || unfolds(g));
  }

  // The sum of n floats in double, in four interleaved partial sums: one running sum would be
  // a chain of dependent additions, as slow as the weight gradient's whole block on a wide layer.
  static double sum(const float* p, int64_t n) {
    double s[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int k = 0; k < 4; ++k) s[k] += p[i + k];
    }
    for (; i < n; ++i) s[0] += p[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
  }

  // sum[CR][NV] (in acc, row stride ld) += over images i < ni, rows r < nr, columns t < nc:
  //   x[i xi + r xr + t xc + c] * dy[i di + r dr + t dc + v L ...].
  // Never inlined: the block needs most vector registers (see tuned.hpp's micro kernel).
  __attribute__((noinline)) static void block(int64_t ni, int64_t nr, int64_t nc, const float* x,
                                              int64_t xi, int64_t xr, int64_t xc, const float* dy,
                                              int64_t di, int64_t dr, int64_t dc, float* acc,
                                              int64_t ld) {
    V sum[CR][NV];
#pragma GCC unroll 16
    for (int c = 0; c < CR; ++c) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) sum[c][v] = S::loadu(acc + c * ld + v * S::L);
    }
    for (int64_t i = 0; i < ni; ++i) {
      for (int64_t r = 0; r < nr; ++r) {
        const float* xp = x + i * xi + r * xr;
        const float* dp = dy + i * di + r * dr;
#pragma GCC unroll 1
        for (int64_t t = 0; t < nc; ++t, xp += xc, dp += dc) {
          V d[NV];
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) {
            d[v] = S::loadu(dp + v * S::L);
            S::keep_in_register(d[v]);
          }
#pragma GCC unroll 16
          for (int c = 0; c < CR; ++c) {
            const V xv = S::broadcast(xp + c);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) sum[c][v] = S::fmadd(xv, d[v], sum[c][v]);
          }
        }
      }
    }
#pragma GCC unroll 16
    for (int c = 0; c < CR; ++c) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) S::storeu(acc + c * ld + v * S::L, sum[c][v]);
    }
  }

  // {dW {O, C, KH, KW}, db {O} (when db is not null)} from dy and x.
  static void backward_weights(const Geometry& g, const float* dy, const float* x, float* dw,
                               float* db) {
    if (!unfolds(g)) {
      run(g, g, dy, x, dw, db);
      return;
    }
    Geometry u = g;
    u.channels = g.channels * g.kernel_h;
    u.height = g.out_h;
    u.kernel_h = 1;
    u.pad_h = 0;
    run(u, g, dy, x, dw, db);
  }

  // Sums dW for geometry g; when g is an unfolded form of `original` (unfolds()), the input
  // rows are unfolded while they are transposed.
  static void run(const Geometry& g, const Geometry& original, const float* dy, const float* x,
                  float* dw, float* db) {
    const bool unfolded = g.kernel_h != original.kernel_h;
    const int64_t o_count = g.out_channels, c_count = g.channels, p_count = g.positions();
    const int64_t o_blocks = (o_count + kNr - 1) / kNr, c_blocks = (c_count + kCr - 1) / kCr;
    const int64_t hp = g.height + 2 * g.pad_h, wp = g.width + 2 * g.pad_w;
    const int64_t taps = g.kernel_h * g.kernel_w, tile = kCr * kNr;
    const int64_t acc_size = o_blocks * c_blocks * taps * tile;
    // A band: whole images when they are small (several per band), else rows of one image.
    // When a thread's dW outgrows L2, each block's load and store of its sums costs a trip to
    // L3, so bands grow until that trip is paid for.
    const int64_t steps =
        static_cast<double>(acc_size) * sizeof(float) > kL2Bytes ? 4 * kSteps : kSteps;
    const int64_t images_per_band = p_count >= steps ? 1 : std::max<int64_t>(1, steps / p_count);
    const int64_t rows_per_band =
        p_count >= steps ? std::max<int64_t>(1, steps / g.out_w) : g.out_h;
    // Blocked channels-last buffers per image: x {c_blocks}{HP}{WP}{CR}, dy
    // {o_blocks}{rows}{OW}{NR}. dy holds one band's rows only (the rows of whole images when a band
    // has several).
    const int64_t x_block = hp * wp * kCr, dy_block = rows_per_band * g.out_w * kNr;
    const int64_t x_image = c_blocks * x_block, dy_image = o_blocks * dy_block;
    const int threads = num_threads();
    // Per thread: dW as tiles {o_blocks}{c_blocks}{taps}{CR}{NR}, in the order the loops visit.
    std::vector<std::vector<float>> partial(static_cast<size_t>(threads));
    std::vector<std::vector<double>> partial_bias(static_cast<size_t>(threads));
    parallel_chunks(g.batch, [&](int64_t begin, int64_t end, int thread) {
      std::vector<float>& acc = partial[static_cast<size_t>(thread)];
      acc.assign(static_cast<size_t>(acc_size), 0.0f);
      std::vector<double>& bias_acc = partial_bias[static_cast<size_t>(thread)];
      bias_acc.assign(static_cast<size_t>(o_count), 0.0);
      // Zeroed once: the transposes below only ever write the interior and the real channels.
      const int64_t band_images = std::min(images_per_band, end - begin);
      Tensor xt = Tensor::zeros({band_images * x_image});
      Tensor dyt = Tensor::zeros({band_images * dy_image});
      std::vector<float> unfolded_rows;
      for (int64_t n0 = begin; n0 < end; n0 += band_images) {
        const int64_t ni = std::min(band_images, end - n0);
        int64_t x_rows_done = 0;  // input rows already transposed (one image per band)
        // Transposes rows [dy_lo, dy_hi) of dy and the input rows they reach, of image n0 + i.
        const auto transpose = [&](int64_t i, int64_t dy_lo, int64_t dy_hi) {
          const int64_t x_hi = std::min(g.height, (dy_hi - 1) * g.stride + g.kernel_h - g.pad_h);
          float* x_dst = xt.data() + i * x_image + (g.pad_h * wp + g.pad_w) * kCr;
          const float* x_n = x + (n0 + i) * original.image_size();
          if (unfolded && x_rows_done < x_hi) {
            // Rows [x_rows_done, x_hi) of the unfolded input, NCHW, then into blocks.
            const int64_t rows = x_hi - x_rows_done;
            unfolded_rows.resize(static_cast<size_t>(c_count * rows * g.width));
            for (int64_t c = 0; c < c_count; ++c) {
              const int64_t plane = c / original.kernel_h, kh = c % original.kernel_h;
              for (int64_t r = 0; r < rows; ++r) {
                const int64_t ih = x_rows_done + r + kh - original.pad_h;
                float* out = unfolded_rows.data() + (c * rows + r) * g.width;
                if (ih >= 0 && ih < original.height) {
                  std::copy_n(x_n + (plane * original.height + ih) * g.width, g.width, out);
                } else {
                  std::fill_n(out, g.width, 0.0f);
                }
              }
            }
            Copies::to_channel_blocks(unfolded_rows.data(), c_count, rows, g.width, 0, rows, kCr,
                                      x_dst + x_rows_done * wp * kCr, wp * kCr, x_block);
          } else if (!unfolded) {
            Copies::to_channel_blocks(x_n, c_count, g.height, g.width, x_rows_done, x_hi, kCr,
                                      x_dst, wp * kCr, x_block);
          }
          x_rows_done = std::max(x_rows_done, x_hi);
          Copies::to_channel_blocks(dy + (n0 + i) * g.output_size() + dy_lo * g.out_w, o_count,
                                    g.out_h, g.out_w, 0, dy_hi - dy_lo, kNr,
                                    dyt.data() + i * dy_image, g.out_w * kNr, dy_block);
        };
        for (int64_t i = 0; i < ni; ++i) {
          // Several images per band: each whole now. One: row by row with its bands, below,
          // so that each band's rows are transposed just before they are used (while in cache).
          if (ni > 1) {
            x_rows_done = 0;
            transpose(i, 0, g.out_h);
          }
          if (db) {
            for (int64_t o = 0; o < o_count; ++o) {
              bias_acc[static_cast<size_t>(o)] +=
                  sum(dy + ((n0 + i) * o_count + o) * p_count, p_count);
            }
          }
        }
        for (int64_t r0 = 0; r0 < g.out_h; r0 += rows_per_band) {
          const int64_t nr = std::min(rows_per_band, g.out_h - r0);
          if (ni == 1) transpose(0, r0, r0 + nr);
          float* sums = acc.data();
          for (int64_t ob = 0; ob < o_blocks; ++ob) {
            const float* dy_band = dyt.data() + ob * dy_block;
            for (int64_t cb = 0; cb < c_blocks; ++cb) {
              for (int64_t tap = 0; tap < taps; ++tap, sums += tile) {
                const int64_t kh = tap / g.kernel_w, kw = tap % g.kernel_w;
                const float* x_band =
                    xt.data() + cb * x_block + ((r0 * g.stride + kh) * wp + kw) * kCr;
                block(ni, nr, g.out_w, x_band, x_image, g.stride * wp * kCr, g.stride * kCr,
                      dy_band, dy_image, g.out_w * kNr, kNr, sums, kNr);
              }
            }
          }
        }
      }
    });
    // Partials in thread order: the same sums for the same thread count.
    std::fill_n(dw, o_count * c_count * taps, 0.0f);
    std::vector<double> bias_total(static_cast<size_t>(o_count), 0.0);
    for (int t = 0; t < threads; ++t) {
      const std::vector<float>& acc = partial[static_cast<size_t>(t)];
      if (acc.empty()) continue;
      for (int64_t o = 0; o < o_count; ++o) {
        for (int64_t c = 0; c < c_count; ++c) {
          const float* tiles = acc.data() + ((o / kNr) * c_blocks + c / kCr) * taps * tile +
                               (c % kCr) * kNr + o % kNr;
          float* out = dw + (o * c_count + c) * taps;
          for (int64_t tap = 0; tap < taps; ++tap) out[tap] += tiles[tap * tile];
        }
        bias_total[static_cast<size_t>(o)] +=
            partial_bias[static_cast<size_t>(t)][static_cast<size_t>(o)];
      }
    }
    if (db) {
      for (int64_t o = 0; o < o_count; ++o)
        db[o] = static_cast<float>(bias_total[static_cast<size_t>(o)]);
    }
  }
};

}  // namespace glia::conv
