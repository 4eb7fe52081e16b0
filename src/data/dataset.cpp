#include "glia/data/dataset.hpp"

#include <cstring>

namespace glia::data {
namespace {

// Row `index` of a tensor whose first axis counts examples; a {N} tensor gives {1}.
Tensor row_of(const Tensor& t, size_t index) {
  Shape shape(t.shape().begin() + 1, t.shape().end());
  if (shape.empty()) shape = {1};
  Tensor row = Tensor::empty(shape);
  const int64_t n = row.numel();
  if (n) {
    std::memcpy(row.data(), t.data() + static_cast<int64_t>(index) * n,
                sizeof(float) * static_cast<size_t>(n));
  }
  return row;
}

}  // namespace

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(inputs.detach()), targets_(targets.detach()) {
  check_arg(inputs_.defined() && targets_.defined() && inputs_.dim() >= 1 && targets_.dim() >= 1,
            "TensorDataset", "needs inputs {N, ...} and targets {N, ...}");
  check_arg(inputs_.size(0) == targets_.size(0), "TensorDataset", "inputs ",
            shape_str(inputs_.shape()), " and targets ", shape_str(targets_.shape()),
            " hold different numbers of examples");
}

Example TensorDataset::get(size_t index) const {
  check_arg(index < size(), "TensorDataset::get", "index ", index, " out of range (", size(),
            " examples)");
  return {row_of(inputs_, index), row_of(targets_, index)};
}

Subset::Subset(Dataset& data, std::vector<size_t> indices)
    : data_(data), indices_(std::move(indices)) {
  for (size_t i : indices_)
    check_arg(i < data_.size(), "Subset", "index ", i, " out of range (", data_.size(),
              " examples)");
}

Example collate(const std::vector<Example>& examples) {
  check_arg(!examples.empty(), "collate", "no examples");
  const Shape& in = examples[0].input.shape();
  const Shape& target = examples[0].target.shape();
  Shape batch_in{static_cast<int64_t>(examples.size())}, batch_target = batch_in;
  batch_in.insert(batch_in.end(), in.begin(), in.end());
  batch_target.insert(batch_target.end(), target.begin(), target.end());
  Example batch{Tensor::empty(batch_in), Tensor::empty(batch_target)};
  const int64_t in_n = shape_numel(in), target_n = shape_numel(target);
  for (size_t i = 0; i < examples.size(); ++i) {
    check_arg(examples[i].input.shape() == in && examples[i].target.shape() == target, "collate",
              "example ", i, " has input ", shape_str(examples[i].input.shape()), " and target ",
              shape_str(examples[i].target.shape()), "; example 0 has ", shape_str(in), " and ",
              shape_str(target));
    std::memcpy(batch.input.data() + static_cast<int64_t>(i) * in_n, examples[i].input.data(),
                sizeof(float) * static_cast<size_t>(in_n));
    std::memcpy(batch.target.data() + static_cast<int64_t>(i) * target_n, examples[i].target.data(),
                sizeof(float) * static_cast<size_t>(target_n));
  }
  return batch;
}

}  // namespace glia::data
