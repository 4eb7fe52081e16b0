/// @file
/// The one place where glia decides how work is split across threads.
///
/// Kernels use parallel_chunks: a static, contiguous split of [0, n) with one chunk per thread.
/// A static split means a fixed thread count always gives the same partition, so per-thread
/// partial sums reduced in thread order are bit-identical from run to run.
/// Only one OpenMP level is used; Eigen's own GEMM threading switches itself off inside an
/// OpenMP parallel region, so GEMMs called from a chunk run on the calling thread.
#pragma once

#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace glia {

/// Threads glia's kernels use (OpenMP's max threads, e.g. set by OMP_NUM_THREADS).
inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Sets the number of worker threads (at least 1) for the parallel loops.
inline void set_num_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads < 1 ? 1 : threads);
#else
  (void)threads;
#endif
}

/// Calls body(begin, end, thread) once per thread on a contiguous chunk of [0, n).
/// Runs inline on the calling thread when n is small or one thread is available.
template <class Body>
void parallel_chunks(int64_t n, Body&& body, int64_t min_items_per_thread = 1) {
  if (n <= 0) return;
  int threads = num_threads();
  if (min_items_per_thread < 1) min_items_per_thread = 1;
  const int64_t useful = (n + min_items_per_thread - 1) / min_items_per_thread;
  if (useful < threads) threads = static_cast<int>(useful);
  if (threads <= 1) {
    body(int64_t{0}, n, 0);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    const int team = omp_get_num_threads();
    const int64_t begin = n * thread / team;
    const int64_t end = n * (thread + 1) / team;
    if (begin < end) body(begin, end, thread);
  }
#else
  body(int64_t{0}, n, 0);
#endif
}

/// Calls fn(i) for every i in [0, n), split statically across threads.
template <class Fn>
void parallel_for(int64_t n, Fn&& fn, int64_t min_items_per_thread = 1) {
  parallel_chunks(
      n,
      [&](int64_t begin, int64_t end, int) {
        for (int64_t i = begin; i < end; ++i) fn(i);
      },
      min_items_per_thread);
}

}  // namespace glia
