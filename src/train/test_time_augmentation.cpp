// Flipped views of a dataset's inputs, and predictions averaged over them.
#include "glia/train/test_time_augmentation.hpp"

#include "glia/data/data_loader.hpp"

namespace glia::train {
namespace {

// A dataset's examples with their inputs flipped.
class FlippedDataset : public data::Dataset {
 public:
  FlippedDataset(const data::Dataset& data, bool mirrored, bool upside_down)
      : data_(data), mirrored_(mirrored), upside_down_(upside_down) {}
  size_t size() const override { return data_.size(); }
  data::Example get(size_t index) const override {
    data::Example e = data_.get(index);
    if (mirrored_ || upside_down_) e.input = flipped(e.input, mirrored_, upside_down_);
    return e;
  }

 private:
  const data::Dataset& data_;
  bool mirrored_, upside_down_;
};

}  // namespace

Tensor flipped(const Tensor& input, bool mirrored, bool upside_down) {
  check_arg(input.dim() >= 2, "flipped", "needs inputs {..., H, W}, got ", shape_str(input));
  const int64_t w = input.size(input.dim() - 1), h = input.size(input.dim() - 2);
  const int64_t planes = input.numel() / (h * w);
  Tensor out = Tensor::empty(input.shape());
  const float* src = input.data();
  float* dst = out.data();
  for (int64_t p = 0; p < planes; ++p) {
    for (int64_t y = 0; y < h; ++y) {
      const float* row = src + (p * h + (upside_down ? h - 1 - y : y)) * w;
      float* to = dst + (p * h + y) * w;
      for (int64_t x = 0; x < w; ++x) to[x] = row[mirrored ? w - 1 - x : x];
    }
  }
  return out;
}

Predictions predict_with_flips(nn::Module& model, const data::Dataset& data, FlipViews views,
                               int64_t batch) {
  Predictions sum;
  for (bool upside_down : {false, true}) {
    if (upside_down && !views.vertical) continue;
    for (bool mirrored : {false, true}) {
      if (mirrored && !views.horizontal) continue;
      FlippedDataset view(data, mirrored, upside_down);
      data::DataLoaderOptions options;
      options.batch_size = batch;
      data::DataLoader loader(view, options);
      Predictions p = predict(model, loader);
      if (!sum.logits.defined()) {
        sum = std::move(p);
        continue;
      }
      float* total = sum.logits.data();
      for (int64_t i = 0; i < p.logits.numel(); ++i) total[i] += p.logits.data()[i];
    }
  }
  const float n = static_cast<float>(views.count());
  for (int64_t i = 0; i < sum.logits.numel(); ++i) sum.logits.data()[i] /= n;
  return sum;
}

}  // namespace glia::train
