/// @file
/// Tensor: float32, contiguous, row-major, 64-byte aligned storage shared between copies.
///
/// A Tensor is a handle: copying it shares both the data and the autograd identity (like a
/// PyTorch tensor object). Autograd state lives in AutogradMeta and is created only for tensors
/// that take part in a graph, so plain data tensors stay one allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "glia/support/check.hpp"
#include "glia/tensor/block_cache.hpp"
#include "glia/tensor/rng.hpp"
#include "glia/tensor/shape.hpp"

namespace glia {

struct Node;
class Tensor;

/// Autograd bookkeeping of one tensor: its accumulated gradient and the node that made it.
struct AutogradMeta {
  bool requires_grad = false;     ///< set by the user on leaves
  std::shared_ptr<Node> grad_fn;  ///< set on results of recorded ops
  std::shared_ptr<Tensor> grad;   ///< accumulated by backward()
};

/// A float32 tensor handle (see the file's description).
class Tensor {
 public:
  static constexpr size_t kAlignment = BlockCache::kSmallAlignment;  ///< of data()

  Tensor() = default;  ///< undefined: no shape, no data

  /// New tensor with uninitialised contents: for kernels that overwrite every element.
  static Tensor empty(const Shape& shape) {
    Tensor t;
    t.impl_ = std::make_shared<Impl>();
    t.impl_->shape = shape;
    for (int64_t extent : shape) {
      check_arg(extent >= 0, "Tensor", "negative extent in shape ", shape_str(shape));
    }
    t.impl_->numel = shape_numel(shape);
    t.impl_->storage = allocate(t.impl_->numel);
    return t;
  }
  ///@{
  /// A new tensor of `shape` with every element `value`, 0 or 1.
  static Tensor full(const Shape& shape, float value) {
    Tensor t = empty(shape);
    float* p = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = value;
    return t;
  }
  static Tensor zeros(const Shape& shape) {
    Tensor t = empty(shape);
    if (t.numel()) std::memset(t.data(), 0, sizeof(float) * static_cast<size_t>(t.numel()));
    return t;
  }
  static Tensor ones(const Shape& shape) { return full(shape, 1.0f); }
  ///@}
  /// A new tensor of `shape` holding `values` (row-major; the counts must match).
  static Tensor from(const std::vector<float>& values, const Shape& shape) {
    check_arg(static_cast<int64_t>(values.size()) == shape_numel(shape), "Tensor::from",
              values.size(), " values do not fill shape ", shape_str(shape));
    Tensor t = empty(shape);
    if (!values.empty()) std::memcpy(t.data(), values.data(), sizeof(float) * values.size());
    return t;
  }
  /// Uniform in [low, high).
  static Tensor rand(const Shape& shape, Rng& rng, float low = 0.0f, float high = 1.0f) {
    Tensor t = empty(shape);
    float* p = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(low, high);
    return t;
  }
  /// Normal with this mean and standard deviation.
  static Tensor randn(const Shape& shape, Rng& rng, float mean = 0.0f, float stddev = 1.0f) {
    Tensor t = empty(shape);
    float* p = t.data();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.normal(mean, stddev);
    return t;
  }

  /// False for a default-constructed tensor.
  bool defined() const { return impl_ != nullptr; }
  /// The extents, outermost first.
  const Shape& shape() const { return impl().shape; }
  /// The rank (number of axes).
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  /// The extent of `axis` (negative counts from the end).
  int64_t size(int64_t axis) const {
    check_arg(axis >= 0 && axis < dim(), "Tensor::size", "axis ", axis, " out of range for ",
              shape_str(shape()));
    return impl().shape[static_cast<size_t>(axis)];
  }
  /// The number of elements.
  int64_t numel() const { return impl().numel; }

  ///@{
  /// The first element; the rest follow row-major and contiguous.
  float* data() { return impl().storage.get(); }
  const float* data() const { return impl().storage.get(); }
  ///@}
  /// The only element of a one-element tensor (e.g. a loss).
  float item() const {
    check_arg(numel() == 1, "Tensor::item", "needs one element, shape is ", shape_str(shape()));
    return data()[0];
  }

  /// True when the storage is the same allocation (copies, reshapes and detach share it).
  bool shares_storage_with(const Tensor& other) const {
    return defined() && other.defined() && impl_->storage == other.impl_->storage;
  }

  /// --- autograd ---------------------------------------------------------------------------
  /// Marks a leaf as needing a gradient; returns the same tensor so it can be chained.
  Tensor requires_grad(bool on) {
    check_arg(!grad_fn(), "Tensor::requires_grad",
              "only leaf tensors can be marked; this one is the result of an op");
    meta().requires_grad = on;
    return *this;
  }
  /// True for marked leaves and for results of ops recorded on the tape.
  bool requires_grad() const {
    return impl_ && impl_->meta && (impl_->meta->requires_grad || impl_->meta->grad_fn);
  }
  /// True unless the tensor is the recorded result of an op.
  bool is_leaf() const { return !grad_fn(); }
  /// The op that made this tensor, or null for a leaf.
  std::shared_ptr<Node> grad_fn() const {
    return impl_ && impl_->meta ? impl_->meta->grad_fn : nullptr;
  }
  /// The accumulated gradient: undefined until backward() reaches this tensor.
  Tensor grad() const {
    return impl_ && impl_->meta && impl_->meta->grad ? *impl_->meta->grad : Tensor();
  }
  /// Replaces the accumulated gradient (an undefined g clears it); shapes must match.
  void set_grad(const Tensor& g) {
    if (!g.defined()) {
      if (impl_ && impl_->meta) impl_->meta->grad.reset();
      return;
    }
    check_arg(g.shape() == shape(), "Tensor::set_grad", "gradient shape ", shape_str(g.shape()),
              " does not match tensor shape ", shape_str(shape()));
    meta().grad = std::make_shared<Tensor>(g);
  }
  /// Runs reverse-mode autograd from this one-element tensor (src/autograd/engine.cpp).
  void backward() const;

  /// Same data, no autograd identity: what backward functions capture, so that a graph never
  /// keeps its tensors' gradients (or itself) alive through a saved value.
  Tensor detach() const {
    Tensor t;
    if (!impl_) return t;
    t.impl_ = std::make_shared<Impl>();
    t.impl_->shape = impl_->shape;
    t.impl_->numel = impl_->numel;
    t.impl_->storage = impl_->storage;
    return t;
  }
  /// Same data under another shape with the same number of elements (no autograd: see reshape()).
  Tensor view_as_shape(const Shape& shape) const {
    check_arg(shape_numel(shape) == numel(), "reshape", "cannot view ", shape_str(this->shape()),
              " as ", shape_str(shape));
    Tensor t = detach();
    t.impl_->shape = shape;
    return t;
  }
  /// A deep copy of the data, without autograd identity.
  Tensor clone() const {
    Tensor t = empty(shape());
    if (numel()) std::memcpy(t.data(), data(), sizeof(float) * static_cast<size_t>(numel()));
    return t;
  }

  ///@{
  /// The autograd record, created on first use (for ops and the engine).
  AutogradMeta& meta() {
    if (!impl().meta) impl_->meta = std::make_shared<AutogradMeta>();
    return *impl_->meta;
  }
  const std::shared_ptr<AutogradMeta>& meta_ptr() {
    meta();
    return impl_->meta;
  }
  ///@}

 private:
  struct Impl {
    std::shared_ptr<float> storage;
    Shape shape;
    int64_t numel = 0;
    std::shared_ptr<AutogradMeta> meta;
  };

  const Impl& impl() const {
    check_arg(impl_ != nullptr, "Tensor", "use of an undefined tensor");
    return *impl_;
  }
  Impl& impl() {
    check_arg(impl_ != nullptr, "Tensor", "use of an undefined tensor");
    return *impl_;
  }

  static std::shared_ptr<float> allocate(int64_t count) {
    const BlockCache::Block block =
        BlockCache::instance().allocate(sizeof(float) * static_cast<size_t>(count));
    return std::shared_ptr<float>(static_cast<float*>(block.data),
                                  [block](float*) { BlockCache::instance().deallocate(block); });
  }

  std::shared_ptr<Impl> impl_;
};

/// A tensor's shape as text for messages, "undefined" for an undefined tensor (see ShapeStr).
inline ShapeStr shape_str(const Tensor& t) { return ShapeStr(t.defined() ? &t.shape() : nullptr); }

}  // namespace glia
