// The forward convolution computed channels-last, and through it the stride-1 input gradient.
//
//   y[n][o][oh][ow] = b[o] + sum over c, kh, kw of
//                     w[o][c][kh][kw] * x[n][c][oh * stride - pad_h + kh][ow * stride - pad_w + kw]
//
// A register block holds RW output positions of one row by NR = NV * L output channels. Per
// input channel and tap it loads NV vectors of weights (packed {O / NR}{taps}{C}{NR}) and
// broadcasts the input at RW positions: RW * NV FMAs for NV + RW loads, with no im2col. The
// input is read channels-last, so the RW broadcasts of one step are C floats apart and one tap's
// channels run contiguously; a band of output rows transposes the input rows it reads (8x8
// in-register transposes), and each output row goes back to NCHW the same way. This is oneDNN's
// direct-convolution scheme (its jit:avx512_core kernels keep activations in nChw16c between
// layers); here the layout changes inside the call, so the public tensors stay NCHW and every
// figure includes the transposes.
//
// The input gradient at stride 1 is this forward pass over dy with the weights flipped and
// transposed and padding K - 1 - pad (as in tuned.hpp). Each output element is one block's sum
// in a fixed order (taps, then channels), so results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "channels_last.hpp"
#include "geometry.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia::conv {

template <class S, int RW, int NV>
struct ChannelsLastForward {
  using V = typename S::V;
  using Copies = ChannelsLastCopies<S>;
  static constexpr int64_t kNr = NV * S::L;
  static constexpr int64_t kBandRows = 4;              // output rows per work item, at least
  static constexpr int64_t kItemPositions = 256;       // output positions per work item, about
  static constexpr int64_t kL1WeightBytes = 16 << 10;  // a channel chunk's weights

  // Where it was measured faster than the kernels of tuned.hpp, in interleaved pairs on the
  // benchmark suite (docs/performance.md): kernels of at least 3x3 over at least 16 input
  // channels, with output channels that fill at least 80% of the vectors; for the forward pass
  // at stride 2 or more (at stride 1 Winograd, or the packed GEMM for layers of 7x7 positions,
  // is faster), for the input gradient at stride 1 (where Winograd leaves a shape to it).
  static bool fills(int64_t channels) { return 4 * round_up(channels, kNr) <= 5 * channels; }
  static bool applies(const Geometry& g) {
    return g.stride >= 2 && g.kernel_h * g.kernel_w >= 9 && g.channels >= 16 &&
           fills(g.out_channels);
  }
  static bool applies_backward_data(const Geometry& g) {
    return g.stride == 1 && g.pad_h <= g.kernel_h - 1 && g.pad_w <= g.kernel_w - 1 &&
           g.kernel_h * g.kernel_w >= 9 && g.out_channels >= 16 && fills(g.channels);
  }

  // y[j][v] for j < R = start + sum over taps t and channels c < channels of
  //   x[positions[j] + offsets[t] + c] * w[t * tap_stride + c * NR + v * L ...],
  // where start is y itself (accumulate), bias[v * L ...] or zero; y's rows are ld apart.
  template <int R>
  __attribute__((noinline)) static void block(int64_t channels, int64_t taps,
                                              const int64_t* offsets, const float* x,
                                              const int64_t* positions, const float* w,
                                              int64_t tap_stride, bool accumulate,
                                              const float* bias, float* y, int64_t ld) {
    V acc[R][NV];
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        acc[j][v] = accumulate ? S::loadu(y + j * ld + v * S::L)
                    : bias     ? S::loadu(bias + v * S::L)
                               : S::zero();
      }
    }
    for (int64_t t = 0; t < taps; ++t) {
      const float* xj[R];
#pragma GCC unroll 16
      for (int j = 0; j < R; ++j) xj[j] = x + positions[j] + offsets[t];
      const float* wt = w + t * tap_stride;
#pragma GCC unroll 1
      for (int64_t c = 0; c < channels; ++c) {
        V wv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) {
          wv[v] = S::loadu(wt + c * kNr + v * S::L);
          S::keep_in_register(wv[v]);
        }
#pragma GCC unroll 16
        for (int j = 0; j < R; ++j) {
          const V xv = S::broadcast(xj[j] + c);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[j][v] = S::fmadd(xv, wv[v], acc[j][v]);
        }
      }
    }
#pragma GCC unroll 16
    for (int j = 0; j < R; ++j) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) S::storeu(y + j * ld + v * S::L, acc[j][v]);
    }
  }

  using Block = void (*)(int64_t, int64_t, const int64_t*, const float*, const int64_t*,
                         const float*, int64_t, bool, const float*, float*, int64_t);
  template <size_t... R>
  static constexpr std::array<Block, RW> blocks(std::index_sequence<R...>) {
    return {&block<static_cast<int>(R) + 1>...};
  }
  // block<r> for r = 1 .. RW: a row's last positions take the block of their count.
  static Block block_for(int64_t r) {
    static constexpr std::array<Block, RW> table = blocks(std::make_index_sequence<RW>{});
    return table[static_cast<size_t>(r - 1)];
  }

  // Weights packed {O / NR}{taps}{C}{NR}, zero past O, from w {O, C, taps}.
  static std::vector<float> pack_forward(const float* w, int64_t outputs, int64_t channels,
                                         int64_t taps) {
    const int64_t blocks = (outputs + kNr - 1) / kNr;
    std::vector<float> packed(static_cast<size_t>(blocks * taps * channels * kNr), 0.0f);
    parallel_chunks(blocks, [&](int64_t begin, int64_t end, int) {
      for (int64_t ob = begin; ob < end; ++ob) {
        // Per input channel: NR rows of taps floats in, taps lines of NR floats out (in L1).
        for (int64_t c = 0; c < channels; ++c) {
          for (int64_t o = ob * kNr; o < std::min(outputs, (ob + 1) * kNr); ++o) {
            const float* src = w + (o * channels + c) * taps;
            for (int64_t t = 0; t < taps; ++t) {
              packed[static_cast<size_t>(((ob * taps + t) * channels + c) * kNr + o % kNr)] =
                  src[t];
            }
          }
        }
      }
    });
    return packed;
  }

  // The input gradient's weights, w'[c][o][t] = w[o][c][taps - 1 - t], packed the same way
  // ({C / NR}{taps}{O}{NR}, zero past C).
  static std::vector<float> pack_backward_data(const float* w, int64_t outputs, int64_t channels,
                                               int64_t taps) {
    const int64_t blocks = (channels + kNr - 1) / kNr;
    std::vector<float> packed(static_cast<size_t>(blocks * taps * outputs * kNr), 0.0f);
    parallel_chunks(blocks, [&](int64_t begin, int64_t end, int) {
      for (int64_t cb = begin; cb < end; ++cb) {
        for (int64_t o = 0; o < outputs; ++o) {
          for (int64_t c = cb * kNr; c < std::min(channels, (cb + 1) * kNr); ++c) {
            const float* src = w + (o * channels + c) * taps;
            for (int64_t t = 0; t < taps; ++t) {
              packed[static_cast<size_t>(((cb * taps + (taps - 1 - t)) * outputs + o) * kNr +
                                         c % kNr)] = src[t];
            }
          }
        }
      }
    });
    return packed;
  }

  // y {N, O, OH, OW} from x {N, C, H, W} and weights packed by pack_forward(); bias {O} or null.
  static void run(const Geometry& g, const float* x, const std::vector<float>& w, const float* bias,
                  float* y) {
    const int64_t c_count = g.channels, o_count = g.out_channels, taps = g.kernel_h * g.kernel_w;
    // The band's position stride: the channels plus a cache line when they fill whole lines, so
    // that a block's broadcasts (RW positions, KW taps) do not all fall into the few L1 sets a
    // power-of-two stride maps them to.
    const int64_t cs = c_count % 16 == 0 ? c_count + 16 : c_count;
    const int64_t o_blocks = (o_count + kNr - 1) / kNr, op = o_blocks * kNr;
    const int64_t wp = g.width + 2 * g.pad_w;
    std::vector<float> bias_padded;
    if (bias) {
      bias_padded.assign(static_cast<size_t>(op), 0.0f);
      std::copy(bias, bias + o_count, bias_padded.begin());
    }
    // Input channels per pass over the item: a chunk's weights (taps x chunk x NR floats) stay
    // in L1 while every position of the item uses them.
    const int64_t chunk =
        std::max<int64_t>(1, kL1WeightBytes / (taps * kNr * static_cast<int64_t>(sizeof(float))));
    // A work item: a band of rows of a group of images, about kItemPositions output positions,
    // so that each weight is loaded once for that many (small images: several per item). Its
    // positions run as one list, RW per block, across row and image ends.
    const int64_t band_rows =
        std::min(g.out_h, std::max(kBandRows, (kItemPositions + g.out_w - 1) / g.out_w));
    const int64_t group = std::max<int64_t>(1, kItemPositions / (band_rows * g.out_w));
    const int64_t bands = (g.out_h + band_rows - 1) / band_rows;
    const int64_t groups = (g.batch + group - 1) / group;
    const int64_t band_in_rows = (band_rows - 1) * g.stride + g.kernel_h;
    const int64_t x_size = band_in_rows * wp * cs;  // one image's band
    // Tap t of a block reads the band at offsets[t] (padded row kh, column kw), channels last.
    std::vector<int64_t> offsets(static_cast<size_t>(taps));
    for (int64_t t = 0; t < taps; ++t) {
      offsets[static_cast<size_t>(t)] = ((t / g.kernel_w) * wp + t % g.kernel_w) * cs;
    }
    parallel_chunks(groups * bands, [&](int64_t begin, int64_t end, int) {
      // Each image's band rows, zero padded on all four sides, channels last. The side columns
      // are never written, so they stay zero; rows above or below the image are cleared.
      std::vector<float> xb(static_cast<size_t>(group * x_size), 0.0f);
      // The item's output positions, channels last ({position}{op}), and where each one's
      // input window starts in xb (padded to whole blocks with copies of the last).
      const int64_t most = group * band_rows * g.out_w;
      std::vector<float> out(static_cast<size_t>(most * op));
      std::vector<int64_t> positions(static_cast<size_t>(most + RW));
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n0 = (item / bands) * group, images = std::min(group, g.batch - n0);
        const int64_t r0 = (item % bands) * band_rows, r1 = std::min(g.out_h, r0 + band_rows);
        const int64_t top = r0 * g.stride - g.pad_h;  // input row of the band's first padded row
        const int64_t in_rows = (r1 - r0 - 1) * g.stride + g.kernel_h;
        const int64_t lo = std::max<int64_t>(0, top),
                      hi = std::max(lo, std::min(g.height, top + in_rows));
        int64_t count = 0;
        for (int64_t i = 0; i < images; ++i) {
          float* band = xb.data() + i * x_size;
          std::fill(band, band + (lo - top) * wp * cs, 0.0f);
          std::fill(band + (hi - top) * wp * cs, band + in_rows * wp * cs, 0.0f);
          if (lo < hi) {
            // Input rows [lo, hi) land at band rows [lo - top, hi - top), columns from pad_w.
            Copies::to_channel_blocks(x + (n0 + i) * g.image_size() + lo * g.width, c_count,
                                      g.height, g.width, 0, hi - lo, cs,
                                      band + ((lo - top) * wp + g.pad_w) * cs, wp * cs, 0);
          }
          for (int64_t oh = r0; oh < r1; ++oh) {
            for (int64_t ow = 0; ow < g.out_w; ++ow) {
              positions[static_cast<size_t>(count++)] =
                  i * x_size + ((oh - r0) * g.stride * wp + ow * g.stride) * cs;
            }
          }
        }
        // Per output block, channel chunk by chunk: the chunk's weights stay in L1 across the
        // item's positions.
        for (int64_t ob = 0; ob < o_blocks; ++ob) {
          const float* bb = bias ? bias_padded.data() + ob * kNr : nullptr;
          for (int64_t c0 = 0; c0 < c_count; c0 += chunk) {
            const int64_t cc = std::min(chunk, c_count - c0);
            const float* wb = w.data() + (ob * taps * c_count + c0) * kNr;
            for (int64_t p0 = 0; p0 < count; p0 += RW) {
              const int64_t r = std::min<int64_t>(RW, count - p0);
              block_for(r)(cc, taps, offsets.data(), xb.data() + c0, positions.data() + p0, wb,
                           c_count * kNr, c0 > 0, bb, out.data() + p0 * op + ob * kNr, op);
            }
          }
        }
        for (int64_t i = 0; i < images; ++i) {
          float* y_n = y + (n0 + i) * g.output_size();
          for (int64_t oh = r0; oh < r1; ++oh) {
            const int64_t p = (i * (r1 - r0) + (oh - r0)) * g.out_w;
            Copies::row_from_channels_last(out.data() + p * op, op, o_count, g.out_w,
                                           y_n + oh * g.out_w, g.positions());
          }
        }
      }
    });
  }

  static void forward(const Geometry& g, const float* x, const float* w, const float* bias,
                      float* y) {
    run(g, x, pack_forward(w, g.out_channels, g.channels, g.kernel_h * g.kernel_w), bias, y);
  }

  // dx {N, C, H, W} from dy at stride 1: the forward pass over dy with w'[c][o][t] =
  // w[o][c][taps - 1 - t] (flipped and transposed) and padding K - 1 - pad.
  static void backward_data(const Geometry& g, const float* dy, const float* w, float* dx) {
    const std::vector<float> packed =
        pack_backward_data(w, g.out_channels, g.channels, g.kernel_h * g.kernel_w);
    Geometry flipped;
    flipped.batch = g.batch;
    flipped.channels = g.out_channels;
    flipped.height = g.out_h;
    flipped.width = g.out_w;
    flipped.out_channels = g.channels;
    flipped.kernel_h = g.kernel_h;
    flipped.kernel_w = g.kernel_w;
    flipped.stride = 1;
    flipped.pad_h = g.kernel_h - 1 - g.pad_h;
    flipped.pad_w = g.kernel_w - 1 - g.pad_w;
    flipped.out_h = g.height;
    flipped.out_w = g.width;
    run(flipped, dy, packed, nullptr, dx);
  }
};

}  // namespace glia::conv
