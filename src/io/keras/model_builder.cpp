// A Keras model_config (JSON) and its weights -> an nn::Sequential. The JSON and the weights
// come from an untrusted file: every field is checked for presence, type and range, and every
// weight's shape against the layer, before anything is indexed or allocated.
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/shape_layers.hpp"
#include "keras_file.hpp"

namespace glia::io::keras {
namespace {

using json = nlohmann::json;

// Bounds on what a config may ask for; each far beyond any model glia can train on a CPU.
constexpr int64_t kMaxSide = 1 << 16;  // image height or width
constexpr int64_t kMaxChannels = 1 << 16;
constexpr int64_t kMaxKernel = 64;  // kernel, pool and stride sizes
constexpr int64_t kMaxPadding = 1024;
constexpr int64_t kMaxActivation = int64_t{1} << 28;  // values per sample after any layer

// The context of an error: the file and, once known, the layer.
struct Where {
  const std::string& path;
  std::string layer;
  [[noreturn]] void error(const std::string& what) const {
    fail(path, layer.empty() ? what : "layer '" + layer + "': " + what);
  }
};

const json& member(const json& object, const char* key, const Where& where) {
  if (!object.is_object() || !object.contains(key)) where.error(std::string("no '") + key + "'");
  return object.at(key);
}

std::string text(const json& v, const char* what, const Where& where) {
  if (!v.is_string()) where.error(std::string("'") + what + "' is not a string");
  return v.get<std::string>();
}

std::string text_or(const json& object, const char* key, const char* fallback, const Where& where) {
  if (!object.contains(key)) return fallback;
  return text(object.at(key), key, where);
}

bool flag_or(const json& object, const char* key, bool fallback, const Where& where) {
  if (!object.contains(key)) return fallback;
  if (!object.at(key).is_boolean()) where.error(std::string("'") + key + "' is not true or false");
  return object.at(key).get<bool>();
}

double real_or(const json& object, const char* key, double fallback, double lo, double hi,
               const Where& where) {
  if (!object.contains(key)) return fallback;
  const json& v = object.at(key);
  if (!v.is_number() || v.get<double>() < lo || v.get<double>() > hi) {
    where.error(std::string("'") + key + "' is not a number from " + std::to_string(lo) + " to " +
                std::to_string(hi));
  }
  return v.get<double>();
}

int64_t integer(const json& v, int64_t lo, int64_t hi, const char* what, const Where& where) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    where.error(std::string("'") + what + "' must be a whole number from " + std::to_string(lo) +
                " to " + std::to_string(hi) + ", got " + v.dump());
  }
  return v.get<int64_t>();
}

// A Keras size: one number or a pair.
std::pair<int64_t, int64_t> pair_of(const json& v, int64_t lo, int64_t hi, const char* what,
                                    const Where& where) {
  if (v.is_array()) {
    if (v.size() != 2) where.error(std::string("'") + what + "' must be one number or two");
    return {integer(v[0], lo, hi, what, where), integer(v[1], lo, hi, what, where)};
  }
  const int64_t n = integer(v, lo, hi, what, where);
  return {n, n};
}

const Weight& weight(const std::map<std::string, Weight>* weights, const char* key,
                     const Where& where) {
  if (!weights || !weights->count(key)) where.error(std::string("no '") + key + "' weights");
  return weights->at(key);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// A weight must have exactly this shape (Keras' layout).
const Weight& weight_of_shape(const std::map<std::string, Weight>* weights, const char* key,
                              const std::vector<int64_t>& shape, const Where& where) {
  const Weight& w = weight(weights, key, where);
  if (w.shape != shape) {
    where.error(std::string("'") + key + "' weights have shape " + shape_text(w.shape) +
                ", the layer needs " + shape_text(shape));
  }
  return w;
}

void fill(Tensor target, const Weight& w) {
  std::memcpy(target.data(), w.values.data(), sizeof(float) * w.values.size());
}

// The layers in order. A functional model is accepted when each layer's only input is the layer
// before it.
std::vector<const json*> chain_of_layers(const json& config, const Where& where) {
  const std::string kind = text(member(config, "class_name", where), "class_name", where);
  const json& body = member(config, "config", where);
  const json& layers = body.is_array() ? body : member(body, "layers", where);  // Keras 2.1
  if (!layers.is_array()) where.error("'layers' is not a list");
  std::vector<const json*> chain;
  for (const json& layer : layers) {
    if (!layer.is_object()) where.error("a layer is not a JSON object");
    chain.push_back(&layer);
  }
  if (kind == "Model" || kind == "Functional") {
    for (size_t i = 1; i < chain.size(); ++i) {
      const json& layer = *chain[i];
      const Where here{where.path, text_or(layer, "name", "?", where)};
      const json& nodes = member(layer, "inbound_nodes", here);
      const bool follows = nodes.is_array() && nodes.size() == 1 && nodes[0].is_array() &&
                           nodes[0].size() == 1 && nodes[0][0].is_array() && !nodes[0][0].empty() &&
                           nodes[0][0][0].is_string() && chain[i - 1]->contains("name") &&
                           nodes[0][0][0] == chain[i - 1]->at("name");
      if (!follows) {
        here.error("is not fed by the layer before it: only single chains of layers are supported");
      }
    }
  } else if (kind != "Sequential") {
    where.error("unsupported model class '" + kind + "'");
  }
  return chain;
}

// Conv kernel {KH, KW, I, O} (HWIO) -> {O, I, KH, KW}.
void fill_conv_kernel(Tensor t, const Weight& k) {
  const int64_t kh = k.shape[0], kw = k.shape[1], in = k.shape[2], out = k.shape[3];
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < in; ++i)
        for (int64_t o = 0; o < out; ++o)
          t.data()[((o * in + i) * kh + h) * kw + w] =
              k.values[static_cast<size_t>(((h * kw + w) * in + i) * out + o)];
}

// Dense kernel {in, out} -> weight {out, in}. After a Flatten of a {1, C, H, W} activation the
// input index is remapped from Keras' (h, w, c) order to glia's (c, h, w).
void fill_dense_kernel(Tensor t, const Weight& k, const Shape& flattened_from) {
  const int64_t in = k.shape[0], out = k.shape[1];
  const bool remap = flattened_from.size() == 4;
  const int64_t c_n = remap ? flattened_from[1] : 0, h_n = remap ? flattened_from[2] : 0,
                w_n = remap ? flattened_from[3] : 0;
  for (int64_t j = 0; j < in; ++j) {
    int64_t glia_j = j;
    if (remap) {  // j = (h * W + w) * C + c
      const int64_t c = j % c_n, hw = j / c_n;
      glia_j = (c * h_n + hw / w_n) * w_n + hw % w_n;
    }
    for (int64_t o = 0; o < out; ++o)
      t.data()[o * in + glia_j] = k.values[static_cast<size_t>(j * out + o)];
  }
}

void add_activation(nn::Sequential& net, const std::string& activation, const Where& where) {
  if (activation == "relu")
    net.add(nn::ReLU());
  else if (activation == "sigmoid")
    net.add(nn::Sigmoid());
  else if (activation == "tanh")
    net.add(nn::Tanh());
  else if (activation != "linear")
    where.error("unsupported activation '" + activation + "'");
}


}  // namespace

nn::Sequential build_keras_model(const KerasFile& file, const std::string& path) {
  const Where top{path, ""};
  json config;
  try {
    config = json::parse(file.model_config);
  } catch (const json::exception& e) {
    top.error(std::string("model_config is not valid JSON: ") + e.what());
  }

  nn::Sequential net;
  // shapes[i]: the activation shape (NCHW, batch 1) after the first i glia layers.
  std::vector<Shape> shapes;
  try {
    for (const json* layer_ptr : chain_of_layers(config, top)) {
      const json& layer = *layer_ptr;
      const std::string kind = text(member(layer, "class_name", top), "class_name", top);
      const json& c = member(layer, "config", top);
      if (!c.is_object()) top.error("a layer's 'config' is not a JSON object");
      const Where where{path, text_or(c, "name", text_or(layer, "name", "?", top).c_str(), top)};
      const std::string& name = where.layer;
      const std::string data_format = text_or(c, "data_format", "channels_last", where);
      if (data_format != "channels_last")
        where.error("data_format '" + data_format + "' (only channels_last)");
      if (shapes.empty()) {
        if (!c.contains("batch_input_shape"))
          where.error("the model does not state its input shape");
        const json& s = c.at("batch_input_shape");
        if (!s.is_array() || s.size() != 4) where.error("input shape must be (H, W, C)");
        shapes.push_back({1, integer(s[3], 1, kMaxChannels, "channels", where),
                          integer(s[1], 1, kMaxSide, "height", where),
                          integer(s[2], 1, kMaxSide, "width", where)});
        if (shape_numel_within(shapes[0], kMaxActivation) < 0) where.error("the input is too large");
      }
      if (kind == "InputLayer") continue;
      const auto found = file.weights.find(name);
      const std::map<std::string, Weight>* weights =
          found == file.weights.end() ? nullptr : &found->second;
      const Shape in = shapes.back();
      const bool image = in.size() == 4;

      if (kind == "ZeroPadding2D") {
        if (!image) where.error("needs an image input");
        const json& p = member(c, "padding", where);
        std::pair<int64_t, int64_t> rows, cols;
        if (p.is_array() && p.size() == 2 && p[0].is_array()) {
          rows = pair_of(p[0], 0, kMaxPadding, "padding", where);
          cols = pair_of(p[1], 0, kMaxPadding, "padding", where);
        } else if (p.is_array()) {  // (rows, cols): each symmetric
          const auto [r, col] = pair_of(p, 0, kMaxPadding, "padding", where);
          rows = {r, r};
          cols = {col, col};
        } else {
          const int64_t n = integer(p, 0, kMaxPadding, "padding", where);
          rows = cols = {n, n};
        }
        net.add(nn::ZeroPad2d(rows.first, rows.second, cols.first, cols.second));
      } else if (kind == "Conv2D") {
        if (!image) where.error("needs an image input");
        const auto [kh, kw] =
            pair_of(member(c, "kernel_size", where), 1, kMaxKernel, "kernel_size", where);
        const auto [sh, sw] = c.contains("strides")
                                  ? pair_of(c.at("strides"), 1, kMaxKernel, "strides", where)
                                  : std::pair<int64_t, int64_t>{1, 1};
        const auto [dh, dw] =
            c.contains("dilation_rate")
                ? pair_of(c.at("dilation_rate"), 1, kMaxKernel, "dilation_rate", where)
                : std::pair<int64_t, int64_t>{1, 1};
        if (kh != kw || sh != sw)
          where.error("only square kernels and equal strides are supported");
        if (dh != 1 || dw != 1) where.error("dilation_rate is not supported");
        const int64_t filters =
            integer(member(c, "filters", where), 1, kMaxChannels, "filters", where);
        const std::string padding = text_or(c, "padding", "valid", where);
        int64_t pad = 0;
        if (padding == "same") {
          if (kh % 2 == 0 || sh != 1)
            where.error("padding 'same' needs an odd kernel and stride 1");
          pad = (kh - 1) / 2;
        } else if (padding != "valid") {
          where.error("unsupported padding '" + padding + "'");
        }
        const bool bias = flag_or(c, "use_bias", true, where);
        const Weight& kernel = weight_of_shape(weights, "kernel", {kh, kw, in[1], filters}, where);
        nn::Conv2d conv(in[1], filters, kh, sh, pad, bias);
        fill_conv_kernel(conv.weight(), kernel);
        if (bias) fill(conv.bias(), weight_of_shape(weights, "bias", {filters}, where));
        net.add(std::move(conv));
        add_activation(net, text_or(c, "activation", "linear", where), where);
      } else if (kind == "BatchNormalization") {
        if (!image) where.error("needs an image input");
        const json axis = c.contains("axis") ? c.at("axis") : json(-1);
        const int64_t a =
            integer(axis.is_array() && axis.size() == 1 ? axis[0] : axis, -4, 3, "axis", where);
        if (a != -1 && a != 3)
          where.error("batch norm over axis " + std::to_string(a) + " (only the channel axis)");
        const int64_t channels = in[1];
        nn::BatchNorm2d bn(
            channels, static_cast<float>(real_or(c, "epsilon", 1e-3, 1e-12, 1.0, where)),
            1.0f - static_cast<float>(real_or(c, "momentum", 0.99, 0.0, 1.0, where)));
        if (flag_or(c, "scale", true, where))
          fill(bn.gamma(), weight_of_shape(weights, "gamma", {channels}, where));
        if (flag_or(c, "center", true, where))
          fill(bn.beta(), weight_of_shape(weights, "beta", {channels}, where));
        fill(bn.running_mean(), weight_of_shape(weights, "moving_mean", {channels}, where));
        fill(bn.running_var(), weight_of_shape(weights, "moving_variance", {channels}, where));
        net.add(std::move(bn));
      } else if (kind == "Activation") {
        add_activation(net, text(member(c, "activation", where), "activation", where), where);
      } else if (kind == "MaxPooling2D") {
        if (!image) where.error("needs an image input");
        const json& pool = member(c, "pool_size", where);
        const auto [ph, pw] = pair_of(pool, 1, kMaxKernel, "pool_size", where);
        const json& strides =
            c.contains("strides") && !c.at("strides").is_null() ? c.at("strides") : pool;
        const auto [sh, sw] = pair_of(strides, 1, kMaxKernel, "strides", where);
        if (ph != pw || sh != sw) where.error("only square pools are supported");
        const std::string padding = text_or(c, "padding", "valid", where);
        if (padding != "valid") where.error("unsupported padding '" + padding + "'");
        net.add(nn::MaxPool2d(ph, sh));
      } else if (kind == "Flatten") {
        net.add(nn::Flatten());
      } else if (kind == "Dense") {
        if (in.size() != 2) where.error("needs a flat input (add a Flatten)");
        const int64_t units = integer(member(c, "units", where), 1, kMaxChannels, "units", where);
        const Weight& k = weight_of_shape(weights, "kernel", {in[1], units}, where);
        // Right after a Flatten of an image, the inputs come in Keras' (H, W, C) order.
        const bool after_flatten = net.size() && net[net.size() - 1].type_name() == "Flatten";
        const Shape flattened_from = after_flatten ? shapes[shapes.size() - 2] : Shape{};
        const bool bias = flag_or(c, "use_bias", true, where);
        nn::Dense dense(in[1], units, bias);
        fill_dense_kernel(dense.weight(), k, flattened_from);
        if (bias) fill(dense.bias(), weight_of_shape(weights, "bias", {units}, where));
        net.add(std::move(dense));
        add_activation(net, text_or(c, "activation", "linear", where), where);
      } else if (kind == "Dropout") {
        net.add(nn::Dropout(static_cast<float>(real_or(c, "rate", 0.0, 0.0, 0.999, where))));
      } else {
        where.error("unsupported layer of class " + kind);
      }
      // Record the shape after every glia layer this Keras layer became.
      while (shapes.size() < net.size() + 1) {
        const Shape next = net[shapes.size() - 1].output_shape(shapes.back());
        if (shape_numel_within(next, kMaxActivation) < 0) where.error("its output is too large");
        shapes.push_back(next);
      }
    }
  } catch (const json::exception& e) {
    top.error(std::string("unexpected model_config: ") + e.what());
  } catch (const std::invalid_argument& e) {
    top.error(std::string("the layers do not fit together: ") + e.what());
  }
  if (net.size() == 0) top.error("the model has no layers");
  net.eval();
  return net;
}

}  // namespace glia::io::keras
