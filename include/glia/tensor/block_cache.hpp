/// @file
/// Tensor storage allocation, with a cache of large blocks.
///
/// A training step allocates the same large activation and gradient buffers every iteration.
/// Returning them to the OS and faulting them back in costs more than the arithmetic on them
/// (about 0.2 s per 232 MB block here), so freed blocks of 1 MB or more are kept, up to a limit,
/// and handed out again for requests of the same size or smaller (down to 1/8 of it). Large blocks
/// are 2 MB aligned and marked for transparent huge pages, so those that are new take 512x fewer
/// page faults.
#pragma once

#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>

namespace glia {

/// The process-wide allocator of tensor storage (see the file's description).
class BlockCache {
 public:
  /// alignment of every block: a cache line, and an AVX-512 vector
  static constexpr size_t kSmallAlignment = 64;
  static constexpr size_t kLargeBlock = size_t{1} << 20;  ///< cached from this size up
  /// blocks this large are aligned to and marked for huge pages
  static constexpr size_t kHugePage = size_t{2} << 20;
  /// a cached block serves requests down to 1/kMaxWaste of its size
  static constexpr size_t kMaxWaste = 8;

  /// The one cache of the process.
  static BlockCache& instance() {
    static BlockCache* cache = new BlockCache();  // never destroyed: tensors may outlive main()
    return *cache;
  }

  /// An allocation: where it is and how large it really is.
  struct Block {
    /// the storage
    void* data;
    size_t bytes;  ///< what deallocate() must be given back
  };

  /// A block of at least `bytes`: the smallest cached one of up to kMaxWaste times the size if
  /// there is one. An idle cached block is already resident, so reusing it for a short last
  /// batch costs no memory, where a new block would add to the peak.
  Block allocate(size_t bytes) {
    bytes = round(bytes);
    if (bytes >= kLargeBlock) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.lower_bound(bytes);
      if (it != free_.end() && it->first <= kMaxWaste * bytes) {
        const Block block{it->second, it->first};
        free_.erase(it);
        cached_bytes_ -= block.bytes;
        return block;
      }
    }
    const size_t alignment = bytes >= kHugePage ? kHugePage : kSmallAlignment;
    void* p = std::aligned_alloc(alignment, bytes);
    if (!p) {
      release();  // retry once without the cache's blocks
      p = std::aligned_alloc(alignment, bytes);
      if (!p) throw std::bad_alloc();
    }
#ifdef MADV_HUGEPAGE
    if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return {p, bytes};
  }

  /// Returns a block: cached when large and the cache has room, freed otherwise.
  void deallocate(const Block& block) {
    void* p = block.data;
    const size_t bytes = block.bytes;
    if (bytes >= kLargeBlock) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_bytes_ + bytes <= limit_) {
        free_.emplace(bytes, p);
        cached_bytes_ += bytes;
        return;
      }
    }
    std::free(p);
  }

  /// Frees every cached block (tensors in use are not affected).
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, p] : free_) std::free(p);
    free_.clear();
    cached_bytes_ = 0;
  }

  /// At most this many bytes of freed blocks are kept (default 1 GiB); 0 turns the cache off.
  void set_limit(size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limit_ = bytes;
    }
    release();
  }
  /// Bytes held in cached free blocks now.
  size_t cached_bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

 private:
  BlockCache() = default;
  static size_t round(size_t bytes) {
    if (bytes == 0) return kSmallAlignment;
    const size_t unit = bytes >= kHugePage ? kHugePage : kSmallAlignment;
    return (bytes + unit - 1) / unit * unit;
  }

  mutable std::mutex mutex_;
  std::multimap<size_t, void*> free_;
  size_t cached_bytes_ = 0;
  size_t limit_ = size_t{1} << 30;
};

/// An uninitialised array of `count` trivially copyable values (masks, indices saved for a
/// backward pass) from the block cache, freed back to it.
template <class T>
std::shared_ptr<T[]> cached_array(size_t count) {
  static_assert(std::is_trivially_copyable_v<T>, "cached_array holds plain values only");
  const BlockCache::Block block = BlockCache::instance().allocate(sizeof(T) * (count ? count : 1));
  return std::shared_ptr<T[]>(static_cast<T*>(block.data),
                              [block](T*) { BlockCache::instance().deallocate(block); });
}

}  // namespace glia
