// Keras 2 HDF5 import: model_config (JSON) -> layers, model_weights -> tensors.
#include "glia/io/keras_h5.hpp"

#include <hdf5.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/shape_layers.hpp"

namespace glia::io {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error("glia::io::load_keras_h5: '" + path + "': " + what);
}

// Closes an HDF5 handle when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// An attribute holding one string (fixed-length or variable-length, as h5py and Keras write).
std::string read_string_attribute(hid_t object, const char* name, const std::string& path) {
  if (H5Aexists(object, name) <= 0)
    fail(path, std::string("no '") + name + "' attribute (not a Keras model file?)");
  Handle attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(path, std::string("attribute '") + name + "' is not a string");
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory_type.get(), &text) < 0 || !text)
      fail(path, std::string("cannot read '") + name + "'");
    std::string value(text);
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type.get()), '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0)
    fail(path, std::string("cannot read '") + name + "'");
  return value.substr(0, std::strlen(value.c_str()));
}

// An attribute holding an array of fixed-length strings (weight_names); empty for layers
// without weights (Keras writes an empty float array there).
std::vector<std::string> read_string_list(hid_t object, const char* name, const std::string& path) {
  std::vector<std::string> out;
  if (H5Aexists(object, name) <= 0) return out;
  Handle attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count <= 0 || H5Tget_class(type.get()) != H5T_STRING) return out;
  if (H5Tis_variable_str(type.get()) > 0) {
    std::vector<char*> items(static_cast<size_t>(count), nullptr);
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    if (H5Aread(attribute.get(), memory_type.get(), items.data()) < 0)
      fail(path, std::string("cannot read '") + name + "'");
    for (char* s : items) {
      out.emplace_back(s ? s : "");
      H5free_memory(s);
    }
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  std::vector<char> buffer(size * static_cast<size_t>(count));
  if (H5Aread(attribute.get(), type.get(), buffer.data()) < 0)
    fail(path, std::string("cannot read '") + name + "'");
  for (hssize_t i = 0; i < count; ++i) {
    const char* s = buffer.data() + static_cast<size_t>(i) * size;
    out.emplace_back(s, strnlen(s, size));
  }
  return out;
}

struct Weight {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

Weight read_dataset(hid_t file, const std::string& name, const std::string& path) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) fail(path, "missing weights '" + name + "'");
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.ok()) fail(path, "cannot open weights '" + name + "'");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Weight w;
  size_t count = 1;
  for (hsize_t d : dims) {
    w.shape.push_back(static_cast<int64_t>(d));
    count *= d;
  }
  w.values.resize(count);
  if (H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.values.data()) <
      0) {
    fail(path, "cannot read weights '" + name + "'");
  }
  return w;
}

// The layer's weights, keyed by the part after "<layer>/" and before ":0" ("kernel", "bias").
std::map<std::string, Weight> layer_weights(hid_t file, const std::string& layer,
                                            const std::string& path) {
  std::map<std::string, Weight> weights;
  const std::string group = "model_weights/" + layer;
  if (H5Lexists(file, "model_weights", H5P_DEFAULT) <= 0) fail(path, "no 'model_weights' group");
  if (H5Lexists(file, group.c_str(), H5P_DEFAULT) <= 0) return weights;
  Handle g(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose);
  for (const std::string& name : read_string_list(g.get(), "weight_names", path)) {
    std::string key = name.substr(name.rfind('/') + 1);
    key = key.substr(0, key.find(':'));
    weights[key] = read_dataset(file, group + "/" + name, path);
  }
  return weights;
}

std::vector<json> chain_of_layers(const json& config, const std::string& path) {
  const std::string kind = config.value("class_name", "");
  const json& body = config.at("config");
  const json& layers = body.is_array() ? body : body.at("layers");  // Keras 2.1 Sequential: a list
  std::vector<json> chain(layers.begin(), layers.end());
  if (kind == "Model" || kind == "Functional") {
    // A functional model is accepted when each layer's only input is the layer before it.
    for (size_t i = 1; i < chain.size(); ++i) {
      const json& nodes = chain[i].value("inbound_nodes", json::array());
      const bool follows =
          nodes.size() == 1 && nodes[0].size() == 1 && nodes[0][0][0] == chain[i - 1]["name"];
      if (!follows) {
        fail(path,
             "layer '" + chain[i].value("name", "?") +
                 "' is not fed by the layer before it: only single chains of layers are supported");
      }
    }
  } else if (kind != "Sequential") {
    fail(path, "unsupported model class '" + kind + "'");
  }
  return chain;
}

std::pair<int64_t, int64_t> pair_of(const json& v) {
  if (v.is_number()) return {v.get<int64_t>(), v.get<int64_t>()};
  return {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
}

// Conv kernel {KH, KW, I, O} (HWIO) -> {O, I, KH, KW}.
Tensor conv_kernel(const Weight& k) {
  const int64_t kh = k.shape[0], kw = k.shape[1], in = k.shape[2], out = k.shape[3];
  Tensor t = Tensor::empty({out, in, kh, kw});
  for (int64_t h = 0; h < kh; ++h)
    for (int64_t w = 0; w < kw; ++w)
      for (int64_t i = 0; i < in; ++i)
        for (int64_t o = 0; o < out; ++o)
          t.data()[((o * in + i) * kh + h) * kw + w] =
              k.values[static_cast<size_t>(((h * kw + w) * in + i) * out + o)];
  return t;
}

// Dense kernel {in, out} -> weight {out, in}. After a Flatten of a {C, H, W} activation the
// input index is remapped from Keras' (h, w, c) order to glia's (c, h, w).
Tensor dense_kernel(const Weight& k, const Shape& flattened_from) {
  const int64_t in = k.shape[0], out = k.shape[1];
  Tensor t = Tensor::empty({out, in});
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
  return t;
}

void copy_into(Tensor target, const Tensor& source, const std::string& what,
               const std::string& path) {
  if (target.shape() != source.shape()) {
    fail(path, what + " has shape " + shape_str(source.shape()) + ", the layer needs " +
                   shape_str(target.shape()));
  }
  std::memcpy(target.data(), source.data(), sizeof(float) * static_cast<size_t>(source.numel()));
}

Tensor vector_of(const std::map<std::string, Weight>& weights, const char* key,
                 const std::string& layer, const std::string& path) {
  auto it = weights.find(key);
  if (it == weights.end()) fail(path, "layer '" + layer + "' has no '" + key + "' weights");
  Tensor t = Tensor::empty({static_cast<int64_t>(it->second.values.size())});
  std::copy(it->second.values.begin(), it->second.values.end(), t.data());
  return t;
}

void add_activation(nn::Sequential& net, const std::string& activation, const std::string& layer,
                    const std::string& path) {
  if (activation == "relu")
    net.add(nn::ReLU());
  else if (activation == "sigmoid")
    net.add(nn::Sigmoid());
  else if (activation != "linear")
    fail(path, "layer '" + layer + "': unsupported activation '" + activation + "'");
}

}  // namespace

bool is_hdf5_file(const std::string& path) {
  static const char signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  char head[8] = {};
  return in.read(head, 8) && std::memcmp(head, signature, 8) == 0;
}

nn::Sequential load_keras_h5(const std::string& path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions here, not stderr noise
  if (!std::ifstream(path)) fail(path, "cannot open the file");
  if (!is_hdf5_file(path)) fail(path, "not an HDF5 file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) fail(path, "cannot open as HDF5 (truncated or corrupt?)");
  json config;
  try {
    config = json::parse(read_string_attribute(file.get(), "model_config", path));
  } catch (const json::exception& e) {
    fail(path, std::string("model_config is not valid JSON: ") + e.what());
  }

  nn::Sequential net;
  // shapes[i]: the activation shape (NCHW, batch 1) after the first i glia layers.
  std::vector<Shape> shapes;
  try {
    for (const json& layer : chain_of_layers(config, path)) {
      const std::string kind = layer.at("class_name");
      const json& c = layer.at("config");
      const std::string name = c.value("name", layer.value("name", "?"));
      if (c.value("data_format", "channels_last") != "channels_last") {
        fail(path, "layer '" + name + "': data_format '" + c.value("data_format", "") +
                       "' (only channels_last)");
      }
      if (shapes.empty()) {
        if (!c.contains("batch_input_shape"))
          fail(path, "the model does not state its input shape");
        const json& s = c.at("batch_input_shape");
        if (s.size() != 4) fail(path, "layer '" + name + "': input shape must be (H, W, C)");
        shapes.push_back({1, s[3].get<int64_t>(), s[1].get<int64_t>(), s[2].get<int64_t>()});
      }
      if (kind == "InputLayer") continue;
      const auto weights = layer_weights(file.get(), name, path);
      const Shape& in = shapes.back();

      if (kind == "ZeroPadding2D") {
        const json& p = c.at("padding");
        const auto [top, bottom] = p.is_number() ? pair_of(p) : pair_of(p.at(0));
        const auto [left, right] = p.is_number() ? pair_of(p) : pair_of(p.at(1));
        net.add(nn::ZeroPad2d(top, bottom, left, right));
      } else if (kind == "Conv2D") {
        const auto [kh, kw] = pair_of(c.at("kernel_size"));
        const auto [sh, sw] = pair_of(c.value("strides", json::array({1, 1})));
        const auto [dh, dw] = pair_of(c.value("dilation_rate", json::array({1, 1})));
        if (kh != kw || sh != sw)
          fail(path, "layer '" + name + "': only square kernels and equal strides are supported");
        if (dh != 1 || dw != 1) fail(path, "layer '" + name + "': dilation_rate is not supported");
        const std::string padding = c.value("padding", "valid");
        int64_t pad = 0;
        if (padding == "same") {
          if (kh % 2 == 0 || sh != 1)
            fail(path, "layer '" + name + "': padding 'same' needs an odd kernel and stride 1");
          pad = (kh - 1) / 2;
        } else if (padding != "valid") {
          fail(path, "layer '" + name + "': unsupported padding '" + padding + "'");
        }
        const bool bias = c.value("use_bias", true);
        if (!weights.count("kernel")) fail(path, "layer '" + name + "' has no kernel");
        const Tensor kernel = conv_kernel(weights.at("kernel"));
        nn::Conv2d conv(kernel.size(1), kernel.size(0), kh, sh, pad, bias);
        copy_into(conv.weight(), kernel, "layer '" + name + "' kernel", path);
        if (bias)
          copy_into(conv.bias(), vector_of(weights, "bias", name, path),
                    "layer '" + name + "' bias", path);
        net.add(std::move(conv));
        add_activation(net, c.value("activation", "linear"), name, path);
      } else if (kind == "BatchNormalization") {
        const json axis = c.value("axis", json(-1));
        const int64_t a = axis.is_array() ? axis.at(0).get<int64_t>() : axis.get<int64_t>();
        const int64_t channel_axis = static_cast<int64_t>(in.size()) - 1;  // channels_last
        if (a != -1 && a != channel_axis)
          fail(path, "layer '" + name + "': batch norm over axis " + std::to_string(a) +
                         " (only the channel axis)");
        nn::BatchNorm2d bn(in[1], c.value("epsilon", 1e-3f), 1.0f - c.value("momentum", 0.99f));
        if (c.value("scale", true))
          copy_into(bn.gamma(), vector_of(weights, "gamma", name, path),
                    "layer '" + name + "' gamma", path);
        if (c.value("center", true))
          copy_into(bn.beta(), vector_of(weights, "beta", name, path), "layer '" + name + "' beta",
                    path);
        copy_into(bn.running_mean(), vector_of(weights, "moving_mean", name, path),
                  "layer '" + name + "' moving_mean", path);
        copy_into(bn.running_var(), vector_of(weights, "moving_variance", name, path),
                  "layer '" + name + "' moving_variance", path);
        net.add(std::move(bn));
      } else if (kind == "Activation") {
        add_activation(net, c.at("activation"), name, path);
      } else if (kind == "MaxPooling2D") {
        const auto [ph, pw] = pair_of(c.at("pool_size"));
        const auto [sh, sw] = pair_of(c.value("strides", c.at("pool_size")));
        if (ph != pw || sh != sw)
          fail(path, "layer '" + name + "': only square pools are supported");
        if (c.value("padding", "valid") != "valid")
          fail(path, "layer '" + name + "': unsupported padding '" + c.value("padding", "") + "'");
        net.add(nn::MaxPool2d(ph, sh));
      } else if (kind == "Flatten") {
        net.add(nn::Flatten());
      } else if (kind == "Dense") {
        if (!weights.count("kernel")) fail(path, "layer '" + name + "' has no kernel");
        const Weight& k = weights.at("kernel");
        // Right after a Flatten of an image, the inputs come in Keras' (H, W, C) order.
        const bool after_flatten = net.size() && net[net.size() - 1].type_name() == "Flatten";
        const Shape image = after_flatten ? shapes[shapes.size() - 2] : Shape{};
        const bool bias = c.value("use_bias", true);
        nn::Dense dense(k.shape.at(0), k.shape.at(1), bias);
        copy_into(dense.weight(), dense_kernel(k, image), "layer '" + name + "' kernel", path);
        if (bias)
          copy_into(dense.bias(), vector_of(weights, "bias", name, path),
                    "layer '" + name + "' bias", path);
        net.add(std::move(dense));
        add_activation(net, c.value("activation", "linear"), name, path);
      } else if (kind == "Dropout") {
        net.add(nn::Dropout(c.value("rate", 0.0f)));
      } else {
        fail(path, "unsupported layer '" + name + "' of class " + kind);
      }
      // Record the shape after every glia layer this Keras layer became.
      while (shapes.size() < net.size() + 1) {
        shapes.push_back(net[shapes.size() - 1].output_shape(shapes.back()));
      }
    }
  } catch (const json::exception& e) {
    fail(path, std::string("unexpected model_config: ") + e.what());
  } catch (const std::invalid_argument& e) {
    fail(path, std::string("the layers do not fit together: ") + e.what());
  }
  if (net.size() == 0) fail(path, "the model has no layers");
  net.eval();
  return net;
}

}  // namespace glia::io
