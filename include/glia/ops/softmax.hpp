/// @file
/// softmax and log_softmax along one axis, numerically stable (the axis maximum is subtracted
/// before exponentiating), as torch.softmax / torch.log_softmax.
///
/// Shapes: x any shape, dim an axis of it (negative counts from the end) -> same shape.
#pragma once

#include "glia/tensor/tensor.hpp"

namespace glia {

///@{
/// softmax(x) or log(softmax(x)) along `dim`.
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
///@}

}  // namespace glia
