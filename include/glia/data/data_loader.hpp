/// @file
/// DataLoader: a dataset in batches, shuffled per epoch, optionally prepared one batch ahead on
/// a background thread.
///
///   data::DataLoaderOptions options;
///   options.batch_size = 32;
///   options.shuffle = true;
///   data::DataLoader loader(dataset, options);
///   for (int64_t epoch = 0; epoch < epochs; ++epoch)
///     for (const data::Batch& batch : loader.epoch(epoch)) { ... batch.inputs, batch.targets ... }
///
/// The order of epoch e depends only on (seed, e): it is the dataset order shuffled e + 1 times
/// by one Rng(seed), each epoch shuffling the previous epoch's order, as a training loop that
/// keeps one generator does. So a run can resume at any epoch, and batches are the same whether
/// they are prepared ahead or not (the dataset's get() must be deterministic, see dataset.hpp).
///
/// Sharding (data-parallel training): with shard_count = W, each global batch of
/// batch_size * W consecutive indices of the epoch's order is cut into W contiguous parts and
/// shard i gets part i, so W shards of batch b see exactly the examples one process with
/// batch W * b would, and together every example once per epoch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "glia/data/dataset.hpp"

namespace glia::data {

/// How a DataLoader batches, shuffles and shards a dataset.
struct DataLoaderOptions {
  /// examples per batch
  int64_t batch_size = 32;
  /// a new permutation each epoch, from seed and the epoch number
  bool shuffle = false;
  /// the permutations' seed: the same seed gives the same batches
  uint64_t seed = 0;
  bool drop_last = false;  ///< drop a last batch smaller than batch_size
  bool prefetch = true;    ///< prepare the next batch on a background thread
  ///@{
  /// this process's shard of each global batch, for data-parallel training (see above)
  int64_t shard_index = 0, shard_count = 1;
  ///@}
};

/// One batch: the stacked inputs and targets of some dataset examples.
struct Batch {
  Tensor inputs;                ///< {B, ...}
  Tensor targets;               ///< {B, ...}
  std::vector<size_t> indices;  ///< the dataset indices, in batch order
};

/// Batches of a Dataset, epoch by epoch, optionally shuffled, sharded and prepared on a
/// background thread (see the file's description).
class DataLoader {
 public:
  class Epoch;

  /// Batches `dataset`, which must outlive the loader; throws std::invalid_argument for bad
  /// options.
  DataLoader(Dataset& dataset, DataLoaderOptions options);

  /// The batches of one epoch (0 is the first), to iterate over once.
  Epoch epoch(int64_t epoch);

  /// The dataset indices of this shard for epoch `e`, in the order they are batched.
  std::vector<size_t> order(int64_t e) const;
  /// Batches per epoch (for this shard).
  size_t num_batches() const;
  /// Examples per epoch (for this shard, after drop_last).
  size_t num_examples() const;
  /// Batch `i` of an epoch order, made on the calling thread.
  Batch make_batch(const std::vector<size_t>& order, size_t i) const;

  ///@{
  /// The options and the dataset the loader was made with.
  const DataLoaderOptions& options() const { return options_; }
  Dataset& dataset() const { return *dataset_; }
  ///@}

 private:
  std::vector<std::pair<size_t, size_t>> batch_ranges(size_t total) const;

  Dataset* dataset_;
  DataLoaderOptions options_;
};

/// An epoch's batches. Iterating starts the background thread (with prefetch on); the object
/// must outlive the loop, as it does in a range-for.
class DataLoader::Epoch {
 public:
  /// Input iterator over the epoch's batches; a batch stays valid until the next increment.
  class iterator {
   public:
    ///@{
    /// The current batch.
    const Batch& operator*() const { return epoch_->current_; }
    const Batch* operator->() const { return &epoch_->current_; }
    ///@}
    /// Moves to the next batch (waiting for the background thread when prefetching).
    iterator& operator++() {
      epoch_->advance();
      return *this;
    }
    ///@{
    /// Iterators compare equal when both are at the end or both are not.
    bool operator!=(const iterator& other) const { return !(*this == other); }
    bool operator==(const iterator& other) const {
      const bool done = epoch_ == nullptr || epoch_->finished_;
      const bool other_done = other.epoch_ == nullptr || other.epoch_->finished_;
      return done == other_done;
    }
    ///@}

   private:
    friend class Epoch;
    explicit iterator(Epoch* epoch) : epoch_(epoch) {}
    Epoch* epoch_;
  };

  /// Epoch `epoch` of `loader` (what DataLoader::epoch returns).
  Epoch(const DataLoader& loader, int64_t epoch);
  ~Epoch();
  /// Moves an epoch that has not started iterating.
  Epoch(Epoch&& other) noexcept;
  Epoch(const Epoch&) = delete;
  Epoch& operator=(const Epoch&) = delete;
  Epoch& operator=(Epoch&&) = delete;

  ///@{
  /// The range-for interface: begin() starts the epoch.
  iterator begin();
  iterator end() { return iterator(nullptr); }
  ///@}
  /// Batches in this epoch.
  size_t size() const { return batches_; }

 private:
  void advance();
  void produce();  ///< the background thread's loop
  void stop();

  const DataLoader* loader_;
  std::vector<size_t> order_;
  size_t batches_ = 0, next_ = 0;
  bool started_ = false, finished_ = false;
  Batch current_;
  /// The one-batch queue between the background thread and the loop.
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
};

}  // namespace glia::data
