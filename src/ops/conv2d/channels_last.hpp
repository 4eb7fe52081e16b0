// NCHW <-> channels-last copies for the channels-last kernels (channels_last_forward.hpp,
// channels_last_weights.hpp): whole groups of 8 channels by 8 columns go through an in-register
// transpose, the rest one float at a time. Included inside an ISA's target region (AVX2 or
// AVX-512, both of which have the 256-bit shuffles used here). Members of a template on the
// ISA's vector traits S, like the kernels: each ISA's file then has its own copy, compiled for
// that ISA only, and no inline function compiled for AVX-512 can stand in for the AVX2 one.
#pragma once

#include <algorithm>
#include <cstdint>

#include "glia/support/intrinsics.hpp"

namespace glia::conv {

template <class S>
struct ChannelsLastCopies {
  // out[j * ld_out + i] = in[i * ld_in + j] for i, j < 8.
  static void transpose8(const float* in, int64_t ld_in, float* out, int64_t ld_out) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(in + i * ld_in);
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    // r[0..3]: columns 0-3 of rows 0-3 in their low halves and columns 4-7 in their high halves;
    // r[4..7] likewise for rows 4-7. Join the halves.
    for (int i = 0; i < 4; ++i) {
      _mm256_storeu_ps(out + i * ld_out, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
      _mm256_storeu_ps(out + (i + 4) * ld_out, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
  }

  // Rows [row_begin, row_end) of src {channels, rows, cols} into blocks of `block` channels:
  //   dst[(c / block) * block_stride + r * row_stride + col * block + c % block].
  // With block >= channels this is plain channels-last (row r, column col at r * row_stride +
  // col * block). Only the real channels and columns are written.
  static void to_channel_blocks(const float* src, int64_t channels, int64_t rows, int64_t cols,
                                int64_t row_begin, int64_t row_end, int64_t block, float* dst,
                                int64_t row_stride, int64_t block_stride) {
    const int64_t plane = rows * cols, whole_cols = cols / 8 * 8;
    for (int64_t r = row_begin; r < row_end; ++r) {
      for (int64_t c0 = 0; c0 < channels; c0 += 8) {
        const int64_t nc = std::min<int64_t>(8, channels - c0);
        const float* s = src + c0 * plane + r * cols;
        int64_t col = 0;
        if (nc == 8 && c0 / block == (c0 + 7) / block) {  // one block holds all eight
          float* d = dst + (c0 / block) * block_stride + r * row_stride + c0 % block;
          for (; col < whole_cols; col += 8) transpose8(s + col, plane, d + col * block, block);
        }
        for (int64_t c = 0; c < nc; ++c) {
          const int64_t ch = c0 + c;
          float* d = dst + (ch / block) * block_stride + r * row_stride + ch % block;
          for (int64_t j = col; j < cols; ++j) d[j * block] = s[c * plane + j];
        }
      }
    }
  }

  // The inverse for one output row: src[col * ld + c] (c < channels, col < cols) into
  // dst[c * plane + col].
  static void row_from_channels_last(const float* src, int64_t ld, int64_t channels, int64_t cols,
                                     float* dst, int64_t plane) {
    const int64_t whole_cols = cols / 8 * 8, whole_channels = channels / 8 * 8;
    for (int64_t c0 = 0; c0 < whole_channels; c0 += 8) {
      for (int64_t col = 0; col < whole_cols; col += 8) {
        transpose8(src + col * ld + c0, ld, dst + c0 * plane + col, plane);
      }
      for (int64_t c = c0; c < c0 + 8; ++c) {
        for (int64_t col = whole_cols; col < cols; ++col) dst[c * plane + col] = src[col * ld + c];
      }
    }
    for (int64_t c = whole_channels; c < channels; ++c) {
      for (int64_t col = 0; col < cols; ++col) dst[c * plane + col] = src[col * ld + c];
    }
  }
};

}  // namespace glia::conv
