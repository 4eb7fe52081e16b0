/// @file
/// UnionFind: disjoint sets of the integers [0, n), for grouping (duplicate scans, patients).
/// The smaller root always wins a union, so a set is named by its smallest member whatever the
/// order of the unions: groups come out the same for the same links.
#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

#include "glia/support/check.hpp"

namespace glia {

/// Disjoint sets of [0, n) (see the file's description).
class UnionFind {
 public:
  /// n singletons.
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }

  /// The smallest member of x's set.
  int find(int x) {
    check_arg(x >= 0 && static_cast<size_t>(x) < parent_.size(), "UnionFind::find", "element ", x,
              " out of range [0, ", parent_.size(), ")");
    while (up(x) != x) x = up(x) = up(up(x));  // path halving
    return x;
  }
  /// Joins the sets of a and b; false if they were one already.
  bool unite(int a, int b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    up(std::max(a, b)) = std::min(a, b);
    return true;
  }
  /// The number of elements.
  size_t size() const { return parent_.size(); }

 private:
  int& up(int x) { return parent_[static_cast<size_t>(x)]; }
  std::vector<int> parent_;
};

}  // namespace glia
