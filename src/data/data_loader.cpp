#include "glia/data/data_loader.hpp"

#include <algorithm>
#include <numeric>

#include "glia/support/parallel.hpp"
#include "glia/tensor/rng.hpp"

namespace glia::data {

DataLoader::DataLoader(Dataset& dataset, DataLoaderOptions options)
    : dataset_(&dataset), options_(options) {
  check_arg(options.batch_size >= 1, "DataLoader", "batch_size must be at least 1, got ",
            options.batch_size);
  check_arg(options.shard_count >= 1 && options.shard_index >= 0 &&
                options.shard_index < options.shard_count,
            "DataLoader", "shard_index ", options.shard_index, " must be in [0, shard_count ",
            options.shard_count, ")");
}

// [begin, end) of each of this shard's batches within the epoch order.
std::vector<std::pair<size_t, size_t>> DataLoader::batch_ranges(size_t total) const {
  const size_t b = static_cast<size_t>(options_.batch_size);
  const size_t shards = static_cast<size_t>(options_.shard_count);
  const size_t shard = static_cast<size_t>(options_.shard_index);
  const size_t global = b * shards;
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t start = 0; start < total; start += global) {
    const size_t size = std::min(global, total - start);
    if (size < global && options_.drop_last) break;
    // The global batch cut into `shards` parts as evenly as possible, in shard order.
    const size_t begin = start + size * shard / shards, end = start + size * (shard + 1) / shards;
    if (begin < end) ranges.push_back({begin, end});
  }
  return ranges;
}

std::vector<size_t> DataLoader::order(int64_t e) const {
  check_arg(e >= 0, "DataLoader::order", "epoch must be non-negative, got ", e);
  std::vector<size_t> all(dataset_->size());
  std::iota(all.begin(), all.end(), size_t{0});
  if (options_.shuffle) {
    Rng rng(options_.seed);
    for (int64_t k = 0; k <= e; ++k) rng.shuffle(all);
  }
  std::vector<size_t> mine;
  for (const auto& [begin, end] : batch_ranges(all.size())) {
    mine.insert(mine.end(), all.begin() + static_cast<std::ptrdiff_t>(begin),
                all.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return mine;
}

size_t DataLoader::num_batches() const {
  return batch_ranges(dataset_->size()).size();
}

size_t DataLoader::num_examples() const {
  size_t n = 0;
  for (const auto& [begin, end] : batch_ranges(dataset_->size())) n += end - begin;
  return n;
}

Batch DataLoader::make_batch(const std::vector<size_t>& order, size_t i) const {
  // Batch i covers this shard's i-th range; the order holds the shard's indices back to back.
  const auto ranges = batch_ranges(dataset_->size());
  check_arg(i < ranges.size(), "DataLoader::make_batch", "batch ", i, " out of range (",
            ranges.size(), " batches)");
  size_t begin = 0;
  for (size_t k = 0; k < i; ++k) begin += ranges[k].second - ranges[k].first;
  const size_t end = begin + ranges[i].second - ranges[i].first;
  std::vector<Example> examples;
  Batch batch;
  for (size_t k = begin; k < end; ++k) {
    examples.push_back(dataset_->get(order[k]));
    batch.indices.push_back(order[k]);
  }
  Example stacked = collate(examples);
  batch.inputs = stacked.input;
  batch.targets = stacked.target;
  return batch;
}

DataLoader::Epoch DataLoader::epoch(int64_t e) {
  dataset_->set_epoch(e);
  return Epoch(*this, e);
}

DataLoader::Epoch::Epoch(const DataLoader& loader, int64_t epoch)
    : loader_(&loader), order_(loader.order(epoch)), batches_(loader.num_batches()) {}

DataLoader::Epoch::Epoch(Epoch&& other) noexcept
    : loader_(other.loader_),
      order_(std::move(other.order_)),
      batches_(other.batches_),
      next_(other.next_),
      started_(other.started_),
      finished_(other.finished_),
      current_(std::move(other.current_)) {
  // Only an epoch that has not started (no thread yet) is ever moved: epoch() returns one.
  other.batches_ = 0;
  other.finished_ = true;
}

DataLoader::Epoch::~Epoch() {
  stop();
}

void DataLoader::Epoch::stop() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void DataLoader::Epoch::produce() {
  // One thread here: the training loop owns the cores; a batch is cheap next to a step.
  set_num_threads(1);
  for (size_t i = 0; i < batches_; ++i) {
    Batch batch;
    try {
      batch = loader_->make_batch(order_, i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return stopping_ || ready_.empty(); });
    if (stopping_) return;
    ready_.push_back(std::move(batch));
    changed_.notify_all();
  }
}

DataLoader::Epoch::iterator DataLoader::Epoch::begin() {
  check_arg(!started_, "DataLoader::Epoch", "an epoch can be iterated once");
  started_ = true;
  if (batches_ == 0) {
    finished_ = true;
    return iterator(this);
  }
  if (loader_->options().prefetch) worker_ = std::thread([this] { produce(); });
  advance();
  return iterator(this);
}

void DataLoader::Epoch::advance() {
  if (next_ >= batches_) {
    finished_ = true;
    stop();
    return;
  }
  if (!worker_.joinable()) {
    current_ = loader_->make_batch(order_, next_++);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || error_ != nullptr; });
  if (ready_.empty()) std::rethrow_exception(error_);
  current_ = std::move(ready_.front());
  ready_.pop_front();
  ++next_;
  changed_.notify_all();
}

}  // namespace glia::data
