// The shapes data set: procedurally generated grey images of four kinds of shape (a disc, a
// square, a triangle and a cross) at random sizes, positions, rotations and contrasts, on noise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <glia/data/dataset.hpp>

namespace shapes {

enum Kind { kDisc, kSquare, kTriangle, kCross, kKinds };
inline const char* kind_name(int kind) {
  static const char* names[kKinds] = {"disc", "square", "triangle", "cross"};
  return names[kind];
}

// `count` images {1, size, size} in [0, 1] with labels 0..3 (cycling through the kinds), from
// `seed`: the same seed gives the same images.
glia::data::TensorDataset make_shapes(int64_t count, int64_t size, uint64_t seed);

}  // namespace shapes
