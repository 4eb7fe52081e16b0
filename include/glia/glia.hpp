// glia: a small deep-learning library for the CPU. This umbrella header brings in all of it.
#pragma once

#include "glia/support/check.hpp"
#include "glia/support/parallel.hpp"

#include "glia/tensor/rng.hpp"
#include "glia/tensor/shape.hpp"
#include "glia/tensor/tensor.hpp"

#include "glia/autograd/grad_mode.hpp"
#include "glia/autograd/node.hpp"

#include "glia/ops/activation.hpp"
#include "glia/ops/batch_norm.hpp"
#include "glia/ops/conv2d.hpp"
#include "glia/ops/elementwise.hpp"
#include "glia/ops/linear.hpp"
#include "glia/ops/loss.hpp"
#include "glia/ops/max_pool2d.hpp"
#include "glia/ops/reduce.hpp"
#include "glia/ops/reshape.hpp"
#include "glia/ops/zero_pad2d.hpp"

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/brain_tumor_cnn.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/module.hpp"
#include "glia/nn/sequential.hpp"
#include "glia/nn/shape_layers.hpp"

#include "glia/optim/adam.hpp"
#include "glia/optim/sgd.hpp"

#include "glia/io/atomic_file.hpp"
#include "glia/io/checkpoint.hpp"
#include "glia/io/image.hpp"
