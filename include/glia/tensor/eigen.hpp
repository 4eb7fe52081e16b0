/// @file
/// Eigen views over tensor storage: all dense math goes through these maps, never copies.
#pragma once

#include "glia/support/intrinsics.hpp"  // first: see there

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12, AVX-512: see intrinsics.hpp
#include <Eigen/Core>
#pragma GCC diagnostic pop
#else
#include <Eigen/Core>
#endif

#include "glia/tensor/tensor.hpp"

namespace glia {

///@{
/// Eigen maps of tensor storage: flat arrays (64-byte aligned, as tensors are) and row-major
/// matrices.
using ArrayMap = Eigen::Map<Eigen::ArrayXf, Eigen::Aligned64>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf, Eigen::Aligned64>;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;
///@}

///@{
/// The whole tensor as a 1-D array.
inline ArrayMap as_array(Tensor& t) {
  return ArrayMap(t.data(), t.numel());
}
inline ConstArrayMap as_array(const Tensor& t) {
  return ConstArrayMap(t.data(), t.numel());
}
///@}

///@{
/// Elements [begin, end) as a 1-D array (unaligned: a chunk may start anywhere).
inline Eigen::Map<Eigen::ArrayXf> array_slice(Tensor& t, int64_t begin, int64_t end) {
  return Eigen::Map<Eigen::ArrayXf>(t.data() + begin, end - begin);
}
inline Eigen::Map<const Eigen::ArrayXf> array_slice(const Tensor& t, int64_t begin, int64_t end) {
  return Eigen::Map<const Eigen::ArrayXf>(t.data() + begin, end - begin);
}
///@}

///@{
/// A row-major matrix view of a tensor's storage with the given rows and columns.
inline MatrixMap as_matrix(Tensor& t, int64_t rows, int64_t cols) {
  return MatrixMap(t.data(), rows, cols);
}
inline ConstMatrixMap as_matrix(const Tensor& t, int64_t rows, int64_t cols) {
  return ConstMatrixMap(t.data(), rows, cols);
}
///@}

}  // namespace glia
