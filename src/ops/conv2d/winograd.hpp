// Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions (Lavin and Gray, 2016), written once for
// any SIMD width like tuned.hpp and instantiated by each ISA's file.
//
// The output is cut into 4x4 tiles; each reads a 6x6 tile of the (padded) input. With
// U = G g G^T (each 3x3 kernel as 6x6) and V = B^T d B (each input tile as 6x6), a tile's output
// is A^T [sum over c of U[o][c] (.) V[c]] A: per element xi of the 6x6 (36 of them) the sum over
// channels is a GEMM, M[xi] {O, T} = U[xi] {O, C} * V[xi] {C, T}, so the 9 multiply-adds per
// output of a direct 3x3 become 36 / 16 = 2.25, on GEMMs run by Tuned's micro kernel.
//
//   forward           y = A^T (U (.) V) A                 tiles in blocks of NR (the GEMMs'
//   columns) input gradient    the forward of dy with the kernels flipped and transposed, padding 2
//   - pad weight gradient   dU[xi] {O, C} = sum over tiles of Z[xi] {O, T} * V[xi]^T {T, C},
//                     Z = A dY A^T (each 4x4 output-gradient tile as 6x6), then dW = G^T dU G
//
// Shapes: x {N, C, H, W}, w {O, C, 3, 3}, y {N, O, OH, OW}, stride 1, padding 0 to 2.
// Transforms run in float across a block's tiles (a vector lane per tile); the kernels' and the
// weight gradient's 6x6 <-> 3x3 transforms in double. The transforms' constants (up to 8 and
// 1/24) cost accuracy: tests/unit/test_conv_kernels.cpp bounds the error against the direct
// reference. Deterministic for a given thread count: tile blocks are split statically, and the
// weight gradient's per-thread partial sums are added in thread order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "geometry.hpp"
#include "glia/support/parallel.hpp"
#include "glia/tensor/tensor.hpp"

namespace glia::conv {

template <class S, int MR, int NV, class Gemm>
struct Winograd {
  using V = typename S::V;
  static constexpr int64_t kNr = NV * S::L;  // tiles per forward block: a GEMM panel's columns
  static constexpr int64_t kAlpha = 6, kArea = 36, kTile = 4;
  static constexpr int64_t kKc = 192;  // channels per GEMM pass (Gemm::kKc)

  // ---- the three transforms, in one dimension (applied to rows, then to columns) -------------

  // B^T d: six values from six.
  static void input_1d(const V* d, V* t) {
    const V four = S::set1(4.0f), five = S::set1(5.0f), two = S::set1(2.0f);
    t[0] = S::fmadd(four, d[0], S::fmadd(S::neg(five), d[2], d[4]));
    const V a = S::fmadd(S::neg(four), d[2], d[4]), b = S::fmadd(four, d[1], S::neg(d[3]));
    t[1] = S::sub(a, b);
    t[2] = S::add(a, b);
    const V c = S::sub(d[4], d[2]), e = S::mul(two, S::sub(d[3], d[1]));
    t[3] = S::add(c, e);
    t[4] = S::sub(c, e);
    t[5] = S::fmadd(four, d[1], S::fmadd(S::neg(five), d[3], d[5]));
  }
  // A^T m: four values from six.
  static void output_1d(const V* m, V* o) {
    const V a = S::add(m[1], m[2]), b = S::sub(m[1], m[2]);
    const V c = S::add(m[3], m[4]), e = S::sub(m[3], m[4]);
    o[0] = S::add(S::add(m[0], a), c);
    o[1] = S::fmadd(S::set1(2.0f), e, b);
    o[2] = S::fmadd(S::set1(4.0f), c, a);
    o[3] = S::add(S::fmadd(S::set1(8.0f), e, b), m[5]);
  }
  // A y: six values from four (the output gradient's transform).
  static void gradient_1d(const V* y, V* z) {
    const V a = S::add(y[0], y[2]), b = S::add(y[1], y[3]);
    const V c = S::fmadd(S::set1(4.0f), y[2], y[0]), e = S::fmadd(S::set1(4.0f), y[3], y[1]);
    z[0] = y[0];
    z[1] = S::add(a, b);
    z[2] = S::sub(a, b);
    z[3] = S::fmadd(S::set1(2.0f), e, c);
    z[4] = S::fmadd(S::set1(-2.0f), e, c);
    z[5] = y[3];
  }

  // ---- tiles ----------------------------------------------------------------------------------
  //
  // Tiles are numbered u = (n * down + th) * (across + 1) + tw, tw = 0..across: one column more
  // than the output needs per tile row. That spare tile (its outputs are dropped) makes the
  // tiles of a vector's lanes consecutive in memory in every staging array below, across tile
  // rows and images, so the transforms load and store whole vectors.
  struct Tiles {
    int64_t across, down, columns, total;  // tiles along W and H, columns per row, in all
    explicit Tiles(const Geometry& g)
        : across((g.out_w + kTile - 1) / kTile),
          down((g.out_h + kTile - 1) / kTile),
          columns(across + 1),
          total(g.batch * down * (across + 1)) {}
  };

  // The input as the transform reads it: q[c][i][k][u - u0] = x[n][c][th*4 - pad + i]
  // [4*tw + k - pad] (zero outside the image) for tiles u in [u0, u0 + count] (one more tile,
  // whose first columns tile u0 + count - 1 reads): each tile's 6 input rows split into the 4
  // phases of their columns. Row stride `ld` (at least count + 1 + L).
  static void stage_inputs(const Geometry& g, const Tiles& tiles, const float* x, int64_t u0,
                           int64_t count, float* q, int64_t ld) {
    const int64_t last = std::min(u0 + count + 1, tiles.total);  // tiles [u0, last) are real
    for (int64_t c = 0; c < g.channels; ++c) {
      float* qc = q + c * kAlpha * 4 * ld;
      for (int64_t e = 0; e < kAlpha * 4; ++e)  // tiles past the last: zero
        std::fill(qc + e * ld + (last - u0), qc + e * ld + count + 1, 0.0f);
    }
    // Tile row by tile row: a row's tiles are consecutive, and its input rows are read in place.
    for (int64_t u = u0; u < last;) {
      const int64_t row = u / tiles.columns, n = row / tiles.down, th = row % tiles.down;
      const int64_t tw0 = u % tiles.columns, tw1 = std::min(tiles.columns, tw0 + (last - u));
      const int64_t t0 = u - u0, run = tw1 - tw0;
      // Tiles [inside0, inside1) of the run read no column outside the image.
      const int64_t inside0 = std::clamp<int64_t>((g.pad_w + kTile - 1) / kTile, tw0, tw1);
      const int64_t fits = g.width + g.pad_w - kTile;  // 4 * tw <= fits
      const int64_t inside1 =
          fits < 0 ? inside0 : std::clamp<int64_t>(fits / kTile + 1, inside0, tw1);
      for (int64_t c = 0; c < g.channels; ++c) {
        const float* plane = x + (n * g.channels + c) * g.height * g.width;
        float* qc = q + c * kAlpha * 4 * ld + t0 - tw0;  // indexed by tw
        for (int64_t i = 0; i < kAlpha; ++i) {
          const int64_t ih = th * kTile - g.pad_h + i;
          float* qi = qc + i * 4 * ld;
          if (ih < 0 || ih >= g.height) {
            for (int64_t k = 0; k < 4; ++k) std::fill(qi + k * ld + tw0, qi + k * ld + tw1, 0.0f);
            continue;
          }
          const float* src = plane + ih * g.width - g.pad_w;  // column tw * 4 + k
          int64_t vec_end = inside0;
          for (; vec_end + S::L <= inside1; vec_end += S::L)  // L tiles: 4 L columns, 4 phases
            S::deinterleave4(src + vec_end * kTile, qi + vec_end, qi + ld + vec_end,
                             qi + 2 * ld + vec_end, qi + 3 * ld + vec_end);
          for (int64_t k = 0; k < 4; ++k) {
            float* __restrict dst = qi + k * ld;
            for (int64_t t = vec_end; t < inside1; ++t) dst[t] = src[t * kTile + k];
            for (int64_t tw = tw0; tw < tw1; ++tw) {
              if (tw >= inside0 && tw < inside1) continue;
              const int64_t iw = tw * kTile + k - g.pad_w;
              dst[tw] = iw >= 0 && iw < g.width ? src[tw * kTile + k] : 0.0f;
            }
          }
        }
      }
      u += run;
    }
  }

  // V = B^T d B of `lanes` tiles (a multiple of L) from the staged inputs q (row stride ld):
  // element (xi, c, t) at out[xi * xi_stride + c * c_stride + t].
  static void transform_inputs(int64_t channels, const float* q, int64_t ld, int64_t lanes,
                               float* out, int64_t xi_stride, int64_t c_stride) {
    for (int64_t c = 0; c < channels; ++c) {
      const float* qc = q + c * kAlpha * 4 * ld;
      for (int64_t t = 0; t < lanes; t += S::L) {
        V cols[kArea];
        for (int64_t j = 0; j < kAlpha; ++j) {  // columns: B^T d, d[i][j] = phase j % 4
          V in[6], t6[6];
          for (int64_t i = 0; i < 6; ++i) in[i] = S::loadu(qc + (i * 4 + j % 4) * ld + t + j / 4);
          input_1d(in, t6);
          for (int64_t i = 0; i < 6; ++i) cols[i * kAlpha + j] = t6[i];
        }
        for (int64_t i = 0; i < kAlpha; ++i) {  // rows: (B^T d) B
          V t6[6];
          input_1d(&cols[i * kAlpha], t6);
          for (int64_t j = 0; j < kAlpha; ++j)
            S::storeu(out + (i * kAlpha + j) * xi_stride + c * c_stride + t, t6[j]);
        }
      }
    }
  }

  // ---- kernels, in double ---------------------------------------------------------------------

  // U[xi] = G g G^T of every kernel g = w[o][c] (with flip: w[c][o] rotated by 180 degrees,
  // the input gradient's), packed as GEMM A panels: {36}{ceil(O / MR)}{C}{MR}.
  static std::vector<float> transform_kernels(const float* w, int64_t outs, int64_t ins,
                                              bool flip) {
    static constexpr double kG[6][3] = {{1.0 / 4, 0, 0},
                                        {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                        {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                        {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                        {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                        {0, 0, 1}};
    const int64_t blocks = (outs + MR - 1) / MR;
    std::vector<float> packed(static_cast<size_t>(kArea * blocks * ins * MR), 0.0f);
    parallel_for(outs, [&](int64_t o) {
      for (int64_t c = 0; c < ins; ++c) {
        double k[3][3];
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j)
            k[i][j] = flip ? w[((c * outs + o) * 3 + (2 - i)) * 3 + (2 - j)]
                           : w[((o * ins + c) * 3 + i) * 3 + j];
        double gk[6][3] = {};
        for (int a = 0; a < 6; ++a)
          for (int j = 0; j < 3; ++j)
            for (int i = 0; i < 3; ++i) gk[a][j] += kG[a][i] * k[i][j];
        for (int a = 0; a < 6; ++a)
          for (int b = 0; b < 6; ++b) {
            double u = 0;
            for (int j = 0; j < 3; ++j) u += gk[a][j] * kG[b][j];
            packed[static_cast<size_t>(((a * 6 + b) * blocks + o / MR) * ins * MR + c * MR +
                                       o % MR)] = static_cast<float>(u);
          }
      }
    });
    return packed;
  }

  // ---- forward --------------------------------------------------------------------------------

  static constexpr int64_t kPanels = 4;             // NR-tile panels per forward block
  static constexpr int64_t kBlock = kPanels * kNr;  // tiles per forward block

  // y {N, O, OH, OW} = conv(x, w) + bias (bias may be null); w {O, C, 3, 3}, or with flip the
  // input gradient's w {C, O, 3, 3} (see backward_data).
  static void forward(const Geometry& g, const float* x, const float* w, bool flip,
                      const float* bias, float* y) {
    const int64_t outs = g.out_channels, ins = g.channels, blocks = (outs + MR - 1) / MR;
    const int64_t rows = blocks * MR, ld = kBlock + 1 + S::L;
    const std::vector<float> u = transform_kernels(w, outs, ins, flip);
    const Tiles tiles(g);
    const int64_t tile_blocks = (tiles.total + kBlock - 1) / kBlock;
    parallel_chunks(tile_blocks, [&](int64_t begin, int64_t end, int) {
      Tensor q = Tensor::zeros({std::max(ins, outs) * kAlpha * 4 * ld});  // staged tiles
      Tensor v = Tensor::empty({kArea * kPanels * ins * kNr});            // V[xi][panel]: {C}{NR}
      Tensor m = Tensor::empty({kArea * rows * kBlock});                  // M[xi] {O}{block}
      for (int64_t block = begin; block < end; ++block) {
        const int64_t u0 = block * kBlock, count = std::min(kBlock, tiles.total - u0);
        const int64_t panels = (count + kNr - 1) / kNr;
        stage_inputs(g, tiles, x, u0, count, q.data(), ld);
        for (int64_t p = 0; p < panels; ++p)
          transform_inputs(ins, q.data() + p * kNr, ld, kNr, v.data() + p * ins * kNr,
                           kPanels * ins * kNr, kNr);
        for (int64_t xi = 0; xi < kArea; ++xi) {
          const float* u_xi = u.data() + xi * blocks * ins * MR;
          const float* v_xi = v.data() + xi * kPanels * ins * kNr;
          float* m_xi = m.data() + xi * rows * kBlock;
          for (int64_t k0 = 0; k0 < ins; k0 += kKc) {
            const int64_t kc = std::min(kKc, ins - k0);
            for (int64_t p = 0; p < panels; ++p)
              for (int64_t rb = 0; rb < blocks; ++rb)
                Gemm::micro(kc, u_xi + (rb * ins + k0) * MR, v_xi + (p * ins + k0) * kNr,
                            m_xi + rb * MR * kBlock + p * kNr, kBlock, k0 > 0, nullptr);
          }
        }
        transform_outputs(g, tiles, m.data(), rows, u0, panels * kNr, count, bias, q.data(), ld, y);
      }
    });
  }

  // y's tiles [u0, u0 + count) = A^T M A (+ bias), from m[xi][o][t] (o < rows, row stride
  // kBlock): through r[o][i][k][t] (staging, row stride ld), then each tile row's 4 phases
  // interleaved back into y's rows.
  static void transform_outputs(const Geometry& g, const Tiles& tiles, const float* m, int64_t rows,
                                int64_t u0, int64_t lanes, int64_t count, const float* bias,
                                float* r, int64_t ld, float* y) {
    for (int64_t o = 0; o < g.out_channels; ++o) {
      const V b = S::set1(bias ? bias[o] : 0.0f);
      float* ro = r + o * kTile * kTile * ld;
      for (int64_t t = 0; t < lanes; t += S::L) {
        V half[kTile * kAlpha];
        for (int64_t j = 0; j < kAlpha; ++j) {  // columns: A^T m
          V in[6], o4[4];
          for (int64_t i = 0; i < 6; ++i)
            in[i] = S::loadu(m + ((i * kAlpha + j) * rows + o) * kBlock + t);
          output_1d(in, o4);
          for (int64_t i = 0; i < kTile; ++i) half[i * kAlpha + j] = o4[i];
        }
        for (int64_t i = 0; i < kTile; ++i) {  // rows: (A^T m) A
          V o4[4];
          output_1d(&half[i * kAlpha], o4);
          for (int64_t k = 0; k < kTile; ++k)
            S::storeu(ro + (i * kTile + k) * ld + t, S::add(o4[k], b));
        }
      }
    }
    // Tile row by tile row, each output row's 4 phases interleaved back into y.
    for (int64_t u = u0; u < u0 + count;) {
      const int64_t row = u / tiles.columns, n = row / tiles.down, th = row % tiles.down;
      const int64_t tw0 = u % tiles.columns;
      const int64_t tw1 = std::min(tiles.across, tw0 + (u0 + count - u));  // the spare: dropped
      const int64_t run = std::min(tiles.columns, tw0 + (u0 + count - u)) - tw0;
      const int64_t full = std::min(tw1, g.out_w / kTile);  // tiles whose 4 columns are in y
      for (int64_t o = 0; o < g.out_channels; ++o) {
        const float* ro = r + o * kTile * kTile * ld + (u - u0) - tw0;  // indexed by tw
        float* plane = y + (n * g.out_channels + o) * g.out_h * g.out_w;
        for (int64_t i = 0; i < std::min(kTile, g.out_h - th * kTile); ++i) {
          float* __restrict dst = plane + (th * kTile + i) * g.out_w;
          const float* r0 = ro + i * kTile * ld;
          int64_t vec_end = tw0;
          for (; vec_end + S::L <= full; vec_end += S::L)  // L tiles: 4 phases, 4 L columns
            S::interleave4(r0 + vec_end, r0 + ld + vec_end, r0 + 2 * ld + vec_end,
                           r0 + 3 * ld + vec_end, dst + vec_end * kTile);
          for (int64_t t = vec_end; t < full; ++t)
            for (int64_t k = 0; k < kTile; ++k) dst[t * kTile + k] = r0[k * ld + t];
          for (int64_t tw = std::max(tw0, full); tw < tw1; ++tw)
            for (int64_t k = 0; k < kTile && tw * kTile + k < g.out_w; ++k)
              dst[tw * kTile + k] = r0[k * ld + tw];
        }
      }
      u += run;
    }
  }

  // ---- input gradient -------------------------------------------------------------------------

  // dx {N, C, H, W} = the forward convolution of dy with w flipped and transposed, padding
  // 2 - pad (a 3x3 stride-1 convolution's adjoint).
  static void backward_data(const Geometry& g, const float* dy, const float* w, float* dx) {
    const Geometry t({g.batch, g.out_channels, g.out_h, g.out_w},
                     {g.channels, g.out_channels, 3, 3}, 1, 2 - g.pad_h, 2 - g.pad_w);
    forward(t, dy, w, true, nullptr, dx);
  }

  // ---- weight gradient ------------------------------------------------------------------------

  // {dW {O, C, 3, 3}, db {O} (when not null)} from dy and x.
  static void backward_weights(const Geometry& g, const float* dy, const float* x, float* dw,
                               float* db) {
    const int64_t outs = g.out_channels, ins = g.channels;
    const int64_t o_blocks = (outs + MR - 1) / MR, c_panels = (ins + kNr - 1) / kNr;
    const int64_t op = o_blocks * MR, cp = c_panels * kNr, ld = kBlock + 1 + S::L;
    const Tiles tiles(g);
    const int64_t tile_blocks = (tiles.total + kBlock - 1) / kBlock;
    const int threads = num_threads();
    std::vector<std::vector<float>> partial(static_cast<size_t>(threads));
    parallel_chunks(tile_blocks, [&](int64_t begin, int64_t end, int thread) {
      std::vector<float>& du = partial[static_cast<size_t>(thread)];
      du.assign(static_cast<size_t>(kArea * op * cp), 0.0f);  // dU[xi] {O}{C}
      Tensor q = Tensor::zeros({std::max(ins * kAlpha * 4, outs * kTile * kTile) * ld});
      Tensor v = Tensor::empty({kArea * ins * kBlock});     // V[xi][c][tile]
      Tensor z = Tensor::empty({kArea * outs * kBlock});    // Z[xi][o][tile]
      Tensor a = Tensor::empty({o_blocks * kBlock * MR});   // Z[xi] packed: A panels
      Tensor b = Tensor::empty({c_panels * kBlock * kNr});  // V[xi]^T packed: B panels
      for (int64_t block = begin; block < end; ++block) {
        const int64_t u0 = block * kBlock, count = std::min(kBlock, tiles.total - u0);
        // Tiles past the last are staged as zeros: they add nothing to the sums.
        stage_inputs(g, tiles, x, u0, kBlock, q.data(), ld);
        transform_inputs(ins, q.data(), ld, kBlock, v.data(), ins * kBlock, kBlock);
        stage_gradients(g, tiles, dy, u0, count, q.data(), ld);
        transform_gradients(outs, q.data(), ld, z.data());
        for (int64_t xi = 0; xi < kArea; ++xi) {
          pack_rows<MR>(z.data() + xi * outs * kBlock, outs, kBlock, a.data());
          pack_rows<kNr>(v.data() + xi * ins * kBlock, ins, kBlock, b.data());
          float* du_xi = du.data() + xi * op * cp;
          for (int64_t p = 0; p < c_panels; ++p)
            for (int64_t rb = 0; rb < o_blocks; ++rb)
              Gemm::micro(kBlock, a.data() + rb * kBlock * MR, b.data() + p * kBlock * kNr,
                          du_xi + rb * MR * cp + p * kNr, cp, true, nullptr);
        }
      }
    });
    // The partial sums in thread order, then dW = G^T dU G per kernel, in double.
    std::vector<double> total(static_cast<size_t>(kArea * outs * ins), 0.0);
    for (const std::vector<float>& du : partial) {
      if (du.empty()) continue;
      for (int64_t xi = 0; xi < kArea; ++xi)
        for (int64_t o = 0; o < outs; ++o)
          for (int64_t c = 0; c < ins; ++c)
            total[static_cast<size_t>((xi * outs + o) * ins + c)] +=
                du[static_cast<size_t>((xi * op + o) * cp + c)];
    }
    static constexpr double kGt[3][6] = {{1.0 / 4, -1.0 / 6, -1.0 / 6, 1.0 / 24, 1.0 / 24, 0},
                                         {0, -1.0 / 6, 1.0 / 6, 1.0 / 12, -1.0 / 12, 0},
                                         {0, -1.0 / 6, -1.0 / 6, 1.0 / 6, 1.0 / 6, 1}};
    parallel_for(outs, [&](int64_t o) {
      for (int64_t c = 0; c < ins; ++c) {
        double half[3][6] = {};
        for (int i = 0; i < 3; ++i)
          for (int b = 0; b < 6; ++b)
            for (int a = 0; a < 6; ++a)
              half[i][b] +=
                  kGt[i][a] * total[static_cast<size_t>(((a * 6 + b) * outs + o) * ins + c)];
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) {
            double sum = 0;
            for (int b = 0; b < 6; ++b) sum += half[i][b] * kGt[j][b];
            dw[((o * ins + c) * 3 + i) * 3 + j] = static_cast<float>(sum);
          }
      }
    });
    if (db) bias_gradient(g, dy, db);
  }

  // The output gradient as transform_gradients reads it: r[o][i][k][u - u0] =
  // dy[n][o][th*4 + i][tw*4 + k] (zero outside the output, and for tiles past count).
  static void stage_gradients(const Geometry& g, const Tiles& tiles, const float* dy, int64_t u0,
                              int64_t count, float* r, int64_t ld) {
    for (int64_t o = 0; o < g.out_channels; ++o) {
      float* ro = r + o * kTile * kTile * ld;
      for (int64_t t = 0; t < kBlock; ++t) {
        const int64_t u = u0 + t;
        if (t >= count) {
          for (int64_t e = 0; e < kTile * kTile; ++e) ro[e * ld + t] = 0.0f;
          continue;
        }
        const int64_t row = u / tiles.columns, tw = u % tiles.columns;
        const int64_t n = row / tiles.down, th = row % tiles.down;
        const float* plane = dy + (n * g.out_channels + o) * g.out_h * g.out_w;
        for (int64_t i = 0; i < kTile; ++i) {
          const int64_t oh = th * kTile + i;
          for (int64_t k = 0; k < kTile; ++k) {
            const int64_t ow = tw * kTile + k;
            ro[(i * kTile + k) * ld + t] =
                oh < g.out_h && ow < g.out_w ? plane[oh * g.out_w + ow] : 0.0f;
          }
        }
      }
    }
  }

  // Z = A dY A^T of a block's tiles from the staged gradients r (row stride ld), into
  // out[xi][o][t] (row stride kBlock).
  static void transform_gradients(int64_t outs, const float* r, int64_t ld, float* out) {
    for (int64_t o = 0; o < outs; ++o) {
      const float* ro = r + o * kTile * kTile * ld;
      for (int64_t t = 0; t < kBlock; t += S::L) {
        V half[kAlpha * kTile];
        for (int64_t k = 0; k < kTile; ++k) {  // columns: A y
          V in[4], z6[6];
          for (int64_t i = 0; i < 4; ++i) in[i] = S::loadu(ro + (i * kTile + k) * ld + t);
          gradient_1d(in, z6);
          for (int64_t i = 0; i < 6; ++i) half[i * kTile + k] = z6[i];
        }
        for (int64_t i = 0; i < kAlpha; ++i) {  // rows: (A y) A^T
          V z6[6];
          gradient_1d(&half[i * kTile], z6);
          for (int64_t j = 0; j < kAlpha; ++j)
            S::storeu(out + ((i * kAlpha + j) * outs + o) * kBlock + t, z6[j]);
        }
      }
    }
  }

  // rows {m}{k} (row-major) as GEMM panels {ceil(m / R)}{k}{R}, zero padded.
  template <int64_t R>
  static void pack_rows(const float* rows, int64_t m, int64_t k, float* out) {
    const int64_t blocks = (m + R - 1) / R;
    for (int64_t bl = 0; bl < blocks; ++bl) {
      float* dst = out + bl * k * R;
      for (int64_t r = 0; r < R; ++r) {
        const int64_t i = bl * R + r;
        if (i >= m) {
          for (int64_t t = 0; t < k; ++t) dst[t * R + r] = 0.0f;
          continue;
        }
        const float* src = rows + i * k;
        for (int64_t t = 0; t < k; ++t) dst[t * R + r] = src[t];
      }
    }
  }

  // db {O}: the sum of dy over the batch and positions, in double, image by image.
  static void bias_gradient(const Geometry& g, const float* dy, float* db) {
    const int64_t p = g.positions();
    for (int64_t o = 0; o < g.out_channels; ++o) {
      double s = 0;
      for (int64_t n = 0; n < g.batch; ++n) {
        const float* row = dy + (n * g.out_channels + o) * p;
        for (int64_t i = 0; i < p; ++i) s += row[i];
      }
      db[o] = static_cast<float>(s);
    }
  }
};

}  // namespace glia::conv
