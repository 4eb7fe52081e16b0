/// @file
/// glia: a small deep-learning library for the CPU. This umbrella header brings in all of it
/// (the optional glia::keras import has its own header, glia/io/keras_h5.hpp).
#pragma once

#include "glia/support/check.hpp"
#include "glia/support/parallel.hpp"
#include "glia/support/union_find.hpp"

#include "glia/tensor/named_tensor.hpp"
#include "glia/tensor/rng.hpp"
#include "glia/tensor/shape.hpp"
#include "glia/tensor/tensor.hpp"

#include "glia/autograd/grad_mode.hpp"
#include "glia/autograd/node.hpp"

#include "glia/ops/activation.hpp"
#include "glia/ops/batch_norm.hpp"
#include "glia/ops/cat.hpp"
#include "glia/ops/conv2d.hpp"
#include "glia/ops/dropout.hpp"
#include "glia/ops/elementwise.hpp"
#include "glia/ops/linear.hpp"
#include "glia/ops/loss.hpp"
#include "glia/ops/pooling.hpp"
#include "glia/ops/reduce.hpp"
#include "glia/ops/reshape.hpp"
#include "glia/ops/softmax.hpp"
#include "glia/ops/standardize.hpp"
#include "glia/ops/zero_pad2d.hpp"

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/architecture.hpp"
#include "glia/nn/average.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/fold.hpp"
#include "glia/nn/init.hpp"
#include "glia/nn/layer_registry.hpp"
#include "glia/nn/module.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/residual.hpp"
#include "glia/nn/sequential.hpp"
#include "glia/nn/shape_layers.hpp"
#include "glia/nn/standardize.hpp"

#include "glia/optim/adam.hpp"
#include "glia/optim/clip_grad.hpp"
#include "glia/optim/lr_scheduler.hpp"
#include "glia/optim/sgd.hpp"

#include "glia/io/atomic_file.hpp"
#include "glia/io/checkpoint.hpp"
#include "glia/io/image.hpp"

#include "glia/data/data_loader.hpp"
#include "glia/data/dataset.hpp"
#include "glia/data/image_tensor.hpp"

#include "glia/metrics/binary.hpp"
#include "glia/metrics/bootstrap.hpp"
#include "glia/metrics/calibration.hpp"
#include "glia/metrics/multiclass.hpp"

#include "glia/train/trainer.hpp"

#include "glia/vision/fingerprint.hpp"
#include "glia/vision/near_duplicates.hpp"
