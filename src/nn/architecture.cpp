#include "glia/nn/architecture.hpp"

#include <cmath>
#include <typeinfo>

#include <nlohmann/json.hpp>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/average.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/residual.hpp"
#include "glia/nn/sequential.hpp"
#include "glia/nn/shape_layers.hpp"
#include "glia/nn/standardize.hpp"

namespace glia::nn {
namespace {

using json = nlohmann::ordered_json;

constexpr int64_t kMaxExtent = 1 << 20;  // channels, features, kernel sizes, strides, paddings
constexpr int kMaxDepth = 64;            // nested containers
constexpr size_t kMaxLayers = 100000;

// Exact types only: a subclass of a layer may compute something else.
template <class T>
const T* exactly(const Module& m) {
  return typeid(m) == typeid(T) ? static_cast<const T*>(&m) : nullptr;
}

std::optional<json> describe(const Module& m) {
  if (const auto* s = exactly<Sequential>(m)) {
    json layers = json::array();
    for (size_t i = 0; i < s->size(); ++i) {
      std::optional<json> d = describe((*s)[i]);
      if (!d) return std::nullopt;
      layers.push_back(*d);
    }
    json out{{"type", "Sequential"}};
    if (!s->example_shape().empty()) out["input_shape"] = s->example_shape();
    out["layers"] = layers;
    return out;
  }
  if (const auto* r = exactly<Residual>(m)) {
    std::optional<json> body = describe(r->body());
    if (!body) return std::nullopt;
    json out{{"type", "Residual"}, {"body", *body}};
    if (r->shortcut()) {
      std::optional<json> shortcut = describe(*r->shortcut());
      if (!shortcut) return std::nullopt;
      out["shortcut"] = *shortcut;
    }
    return out;
  }
  if (const auto* a = exactly<Average>(m)) {
    json branches = json::array();
    for (size_t i = 0; i < a->size(); ++i) {
      std::optional<json> d = describe((*a)[i]);
      if (!d) return std::nullopt;
      branches.push_back(*d);
    }
    return json{{"type", "Average"}, {"branches", branches}};
  }
  if (const auto* c = exactly<Conv2d>(m)) {
    return json{{"type", "Conv2d"},           {"in", c->in_channels()}, {"out", c->out_channels()},
                {"kernel", c->kernel_size()}, {"stride", c->stride()},  {"padding", c->padding()},
                {"bias", c->bias().defined()}};
  }
  if (const auto* b = exactly<BatchNorm2d>(m)) {
    return json{{"type", "BatchNorm2d"},
                {"channels", b->channels()},
                {"eps", b->eps()},
                {"momentum", b->momentum()}};
  }
  if (const auto* d = exactly<Dense>(m)) {
    return json{{"type", "Dense"},
                {"in", d->in_features()},
                {"out", d->out_features()},
                {"bias", d->bias().defined()}};
  }
  if (const auto* p = exactly<MaxPool2d>(m)) {
    return json{{"type", "MaxPool2d"}, {"kernel", p->kernel_size()}, {"stride", p->stride()}};
  }
  if (const auto* p = exactly<AvgPool2d>(m)) {
    return json{{"type", "AvgPool2d"}, {"kernel", p->kernel_size()}, {"stride", p->stride()}};
  }
  if (const auto* z = exactly<ZeroPad2d>(m)) {
    return json{{"type", "ZeroPad2d"},
                {"top", z->top()},
                {"bottom", z->bottom()},
                {"left", z->left()},
                {"right", z->right()}};
  }
  if (const auto* l = exactly<LeakyReLU>(m)) {
    return json{{"type", "LeakyReLU"}, {"negative_slope", l->negative_slope()}};
  }
  if (const auto* d = exactly<Dropout>(m)) return json{{"type", "Dropout"}, {"rate", d->rate()}};
  if (const auto* z = exactly<Standardize>(m))
    return json{{"type", "Standardize"}, {"eps", z->eps()}};
  if (exactly<ReLU>(m)) return json{{"type", "ReLU"}};
  if (exactly<Sigmoid>(m)) return json{{"type", "Sigmoid"}};
  if (exactly<Tanh>(m)) return json{{"type", "Tanh"}};
  if (exactly<GlobalAvgPool2d>(m)) return json{{"type", "GlobalAvgPool2d"}};
  if (exactly<Flatten>(m)) return json{{"type", "Flatten"}};
  return std::nullopt;
}

// Reads the description with every field checked before use.
class Builder {
 public:
  explicit Builder(int64_t max_parameters) : budget_(max_parameters) {}

  std::shared_ptr<Module> build(const json& d, int depth) {
    check(depth <= kMaxDepth, "containers are nested more than ", kMaxDepth, " deep");
    check(d.is_object(), "a layer must be a JSON object");
    const std::string type = string_field(d, "type");
    if (type == "Sequential") {
      std::shared_ptr<Sequential> s;
      if (d.contains("input_shape")) {
        const json& shape = d.at("input_shape");
        check(shape.is_array() && shape.size() <= 8, "input_shape must be a list of extents");
        Shape example;
        for (const json& e : shape) {
          check(e.is_number_integer() && e.get<int64_t>() >= 1 && e.get<int64_t>() <= kMaxExtent,
                "input_shape holds a bad extent");
          example.push_back(e.get<int64_t>());
        }
        s = std::make_shared<Sequential>(example);
      } else {
        s = std::make_shared<Sequential>();
      }
      check(d.contains("layers") && d.at("layers").is_array(), "Sequential needs a list 'layers'");
      check(d.at("layers").size() <= kMaxLayers, "too many layers");
      for (const json& layer : d.at("layers")) s->add(build(layer, depth + 1));
      return s;
    }
    if (type == "Residual") {
      check(d.contains("body"), "Residual needs a 'body'");
      std::shared_ptr<Module> body = build(d.at("body"), depth + 1);
      std::shared_ptr<Module> shortcut =
          d.contains("shortcut") ? build(d.at("shortcut"), depth + 1) : nullptr;
      return std::make_shared<Residual>(body, shortcut);
    }
    if (type == "Average") {
      check(d.contains("branches") && d.at("branches").is_array() && !d.at("branches").empty(),
            "Average needs a non-empty list 'branches'");
      check(d.at("branches").size() <= kMaxLayers, "too many branches");
      auto a = std::make_shared<Average>();
      for (const json& branch : d.at("branches")) a->add(build(branch, depth + 1));
      return a;
    }
    if (type == "Conv2d") {
      const int64_t in = extent(d, "in"), out = extent(d, "out"), kernel = extent(d, "kernel");
      const int64_t stride = extent(d, "stride"), padding = extent(d, "padding", 0);
      const bool bias = bool_field(d, "bias");
      spend({in, out, kernel, kernel}, bias ? out : 0);
      Rng init(0);  // the weights are loaded next
      return std::make_shared<Conv2d>(in, out, kernel, stride, padding, bias, init);
    }
    if (type == "BatchNorm2d") {
      const int64_t channels = extent(d, "channels");
      spend({4, channels}, 0);
      return std::make_shared<BatchNorm2d>(channels, real(d, "eps"), real(d, "momentum"));
    }
    if (type == "Dense") {
      const int64_t in = extent(d, "in"), out = extent(d, "out");
      const bool bias = bool_field(d, "bias");
      spend({in, out}, bias ? out : 0);
      Rng init(0);
      return std::make_shared<Dense>(in, out, bias, init);
    }
    if (type == "MaxPool2d")
      return std::make_shared<MaxPool2d>(extent(d, "kernel"), extent(d, "stride"));
    if (type == "AvgPool2d")
      return std::make_shared<AvgPool2d>(extent(d, "kernel"), extent(d, "stride"));
    if (type == "ZeroPad2d") {
      return std::make_shared<ZeroPad2d>(extent(d, "top", 0), extent(d, "bottom", 0),
                                         extent(d, "left", 0), extent(d, "right", 0));
    }
    if (type == "LeakyReLU") return std::make_shared<LeakyReLU>(real(d, "negative_slope"));
    if (type == "Dropout") return std::make_shared<Dropout>(real(d, "rate"));
    if (type == "Standardize") {
      const float eps = real(d, "eps");
      check(eps >= 0.0f, "field 'eps' is negative");
      return std::make_shared<Standardize>(eps);
    }
    if (type == "ReLU") return std::make_shared<ReLU>();
    if (type == "Sigmoid") return std::make_shared<Sigmoid>();
    if (type == "Tanh") return std::make_shared<Tanh>();
    if (type == "GlobalAvgPool2d") return std::make_shared<GlobalAvgPool2d>();
    if (type == "Flatten") return std::make_shared<Flatten>();
    fail("unknown layer type '", type, "'");
  }

 private:
  template <class... Parts>
  [[noreturn]] static void fail(Parts&&... parts) {
    throw std::invalid_argument(concat("glia::nn::build_architecture: ", parts...));
  }
  template <class... Parts>
  static void check(bool ok, Parts&&... parts) {
    if (!ok) fail(parts...);
  }
  static std::string string_field(const json& d, const char* key) {
    check(d.contains(key) && d.at(key).is_string(), "missing string field '", key, "'");
    return d.at(key).get<std::string>();
  }
  static bool bool_field(const json& d, const char* key) {
    check(d.contains(key) && d.at(key).is_boolean(), "missing true/false field '", key, "'");
    return d.at(key).get<bool>();
  }
  static int64_t extent(const json& d, const char* key, int64_t min = 1) {
    check(d.contains(key) && d.at(key).is_number_integer(), "missing whole-number field '", key,
          "'");
    const int64_t v = d.at(key).get<int64_t>();
    check(v >= min && v <= kMaxExtent, "field '", key, "' is ", v, ", outside [", min, ", ",
          kMaxExtent, "]");
    return v;
  }
  static float real(const json& d, const char* key) {
    check(d.contains(key) && d.at(key).is_number(), "missing number field '", key, "'");
    const double v = d.at(key).get<double>();
    check(std::isfinite(v), "field '", key, "' is not finite");
    return static_cast<float>(v);
  }
  // Counts a layer's tensors against the budget before they are allocated.
  void spend(const std::vector<int64_t>& extents, int64_t extra) {
    int64_t n = 1;
    for (int64_t e : extents) {
      check(n <= budget_ / e, "the model holds more parameters than its file");
      n *= e;
    }
    check(n <= budget_ - extra, "the model holds more parameters than its file");
    budget_ -= n + extra;
  }

  int64_t budget_;
};

}  // namespace

std::optional<std::string> describe_architecture(const Module& model) {
  std::optional<json> d = describe(model);
  if (!d) return std::nullopt;
  return d->dump();
}

std::shared_ptr<Module> build_architecture(const std::string& description, int64_t max_parameters) {
  json d;
  try {
    d = json::parse(description);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("glia::nn::build_architecture: not JSON: ") + e.what());
  }
  try {
    return Builder(max_parameters).build(d, 0);
  } catch (const json::exception& e) {
    throw std::invalid_argument(std::string("glia::nn::build_architecture: ") + e.what());
  }
}

}  // namespace glia::nn
