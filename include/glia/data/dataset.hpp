/// @file
/// Datasets: indexed collections of examples, each an input tensor and a target tensor.
///
/// A Dataset says how many examples it has and makes example i on request (decoding, cropping,
/// augmenting, ...). get() is const and may run on the data loader's background thread, while
/// the model trains on the caller's; set_epoch() is called between epochs, never during one.
#pragma once

#include <cstdint>
#include <vector>

#include "glia/tensor/tensor.hpp"

namespace glia::data {

/// One example: e.g. an image {C, H, W} and its label {1}.
struct Example {
  ///@{
  /// One example: its input and its target, without the batch axis.
  Tensor input;
  Tensor target;
  ///@}
};

/// A source of examples, read by index; a DataLoader stacks them into batches.
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Number of examples.
  virtual size_t size() const = 0;
  /// Example `index` in [0, size()); the same index and epoch must give the same example (the
  /// loader relies on it for reproducible, prefetch-independent batches).
  virtual Example get(size_t index) const = 0;
  /// Called by DataLoader before each epoch; datasets that augment differently every epoch
  /// override it. Epochs count from 0.
  virtual void set_epoch(int64_t /*epoch*/) {}
};

/// Examples stored as two tensors whose first axis counts the examples: inputs {N, ...} and
/// targets {N, ...} (e.g. images {N, 3, 32, 32} and class indices {N}). get(i) copies row i:
/// input {...}, target {...} ({1} when targets is {N}).
class TensorDataset : public Dataset {
 public:
  /// Example i is inputs[i] and targets[i]; both need the same first extent (std::invalid_argument
  /// otherwise).
  TensorDataset(Tensor inputs, Tensor targets);
  /// The first extent of the inputs.
  size_t size() const override { return static_cast<size_t>(inputs_.size(0)); }
  Example get(size_t index) const override;

 private:
  Tensor inputs_, targets_;
};

/// Some examples of another dataset, by index (a fold's training part, say): example i is
/// data.get(indices[i]). The dataset must outlive the subset; set_epoch reaches it.
class Subset : public Dataset {
 public:
  /// Throws std::invalid_argument for an index past the dataset's end.
  Subset(Dataset& data, std::vector<size_t> indices);
  /// The number of indices.
  size_t size() const override { return indices_.size(); }
  Example get(size_t index) const override { return data_.get(indices_.at(index)); }
  void set_epoch(int64_t epoch) override { data_.set_epoch(epoch); }

 private:
  Dataset& data_;
  std::vector<size_t> indices_;
};

/// Stacks examples into a batch: inputs {B, ...} and targets {B, ...}. Every example must have
/// the same input shape and the same target shape (std::invalid_argument otherwise).
Example collate(const std::vector<Example>& examples);

}  // namespace glia::data
