// glia's own layer types, one block each: name, attributes, tensors, build, children, ONNX
// export and import (nn/layer_registry.hpp). A new built-in layer adds its block here; the
// architecture descriptions, ONNX and batch-norm folding then know it.
//
// Descriptions keep the key order of glia 0.2's files, so checkpoints stay byte for byte alike.
// ONNX operators that are graph patterns rather than layers (Add and Mean joining branches,
// MatMul followed by Add, Identity, Constant) are the importer's (src/io/onnx/import.cpp).
#include <cmath>

#include "glia/nn/activation_layers.hpp"
#include "glia/nn/average.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/layer_registry.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/residual.hpp"
#include "glia/nn/sequential.hpp"
#include "glia/nn/shape_layers.hpp"
#include "glia/nn/standardize.hpp"

namespace glia::nn {
namespace {

using Layers = std::vector<std::shared_ptr<Module>>;
constexpr int64_t kMaxExtent = 1 << 20;  // channels, features, kernel sizes, strides, paddings

template <class T>
const T& as(const Module& m) {
  return static_cast<const T&>(m);
}
std::string join(const std::string& path, const std::string& name) {
  return path.empty() ? name : path + "." + name;
}
double as_double(float v) { return static_cast<double>(v); }
float as_float(double v) { return static_cast<float>(v); }

// The layer's weights from a constant of the same size (the importer checked the shape).
void fill(const Tensor& t, const std::vector<float>& values) {
  check_arg(static_cast<int64_t>(values.size()) == t.numel(), "load_onnx", "internal size");
  Tensor target = t;
  std::copy(values.begin(), values.end(), target.data());
}

// ONNX helpers shared by the layers below.
int64_t square(OnnxNodeReader& n, const std::vector<int64_t>& v, const char* what) {
  n.expect(v.size() == 2 && v[0] == v[1] && v[0] >= 1 && v[0] <= kMaxExtent, what,
           " must be two equal positive values for glia, got ", v.size(), " values");
  return v[0];
}
// pads [top, left, bottom, right], from `pads` or auto_pad = VALID / NOTSET.
std::vector<int64_t> padding(OnnxNodeReader& n) {
  const std::string auto_pad = n.text("auto_pad", "NOTSET");
  n.expect(auto_pad == "NOTSET" || auto_pad == "VALID", "auto_pad '", auto_pad,
           "' (glia reads explicit pads)");
  std::vector<int64_t> pads = n.ints("pads", std::vector<int64_t>(4, 0));
  n.expect(pads.size() == 4, "pads has ", pads.size(), " values, expected 4");
  for (int64_t p : pads) n.expect(p >= 0 && p <= kMaxExtent, "a pad of ", p);
  n.expect(auto_pad == "NOTSET" || pads == std::vector<int64_t>(4, 0), "auto_pad VALID with pads");
  return pads;
}
OnnxAttributes square_window(int64_t kernel, int64_t stride, int64_t pad) {
  return {{"kernel_shape", std::vector<int64_t>{kernel, kernel}},
          {"strides", std::vector<int64_t>{stride, stride}},
          {"pads", std::vector<int64_t>{pad, pad, pad, pad}}};
}

// A layer without attributes, parameters or children: ReLU, Sigmoid, ...
template <class T>
LayerType plain(const char* name, const char* onnx_op) {
  LayerType t;
  t.type = typeid(T);
  t.name = name;
  t.build = [](const Attributes&, Children) { return std::make_shared<T>(); };
  t.to_onnx = [onnx_op](const Module&, OnnxGraphWriter& w, const OnnxSite& at) {
    return w.node(onnx_op, at, {at.input});
  };
  t.onnx_ops = {onnx_op};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 1);
    n.done();
    return Layers{std::make_shared<T>()};
  };
  return t;
}

LayerType sequential() {
  LayerType t;
  t.type = typeid(Sequential);
  t.name = "Sequential";
  t.attribute_names = {"input_shape"};
  t.slots = {{"layers", ChildSlot::Count::list}};
  t.attributes = [](const Module& m) {
    Attributes a;
    const Shape& example = as<Sequential>(m).example_shape();
    if (!example.empty()) a.set("input_shape", example);
    return a;
  };
  t.children = [](const Module& m) {
    Children c(1);
    for (const NamedModule& layer : m.named_children()) c[0].push_back(layer.module);
    return c;
  };
  t.build = [](const Attributes& a, Children c) {
    auto s = a.has("input_shape") ? std::make_shared<Sequential>(a.integers("input_shape", 1, kMaxExtent, 8))
                                  : std::make_shared<Sequential>();
    for (auto& layer : c[0]) s->add(std::move(layer));
    return s;
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    std::string h = at.input;
    Shape shape = at.shape;
    const auto& s = as<Sequential>(m);
    for (size_t i = 0; i < s.size(); ++i) {
      h = w.module(s[i], join(at.path, std::to_string(i)), h, shape);
      shape = s[i].output_shape(shape);
    }
    return h;
  };
  return t;
}

LayerType residual() {
  LayerType t;
  t.type = typeid(Residual);
  t.name = "Residual";
  t.slots = {{"body", ChildSlot::Count::one}, {"shortcut", ChildSlot::Count::optional}};
  t.children = [](const Module& m) {
    const auto& r = as<Residual>(m);
    Children c{{r.body_ptr()}, {}};
    if (r.shortcut()) c[1].push_back(r.shortcut_ptr());
    return c;
  };
  t.build = [](const Attributes&, Children c) {
    return std::make_shared<Residual>(c[0][0], c[1].empty() ? nullptr : c[1][0]);
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& r = as<Residual>(m);
    const std::string body = w.module(r.body(), join(at.path, "body"), at.input, at.shape);
    const std::string side =
        r.shortcut() ? w.module(*r.shortcut(), join(at.path, "shortcut"), at.input, at.shape)
                     : at.input;
    return w.node("Add", at, {body, side});
  };
  return t;
}

LayerType average() {
  LayerType t;
  t.type = typeid(Average);
  t.name = "Average";
  t.slots = {{"branches", ChildSlot::Count::list}};
  t.children = [](const Module& m) {
    Children c(1);
    for (const NamedModule& branch : m.named_children()) c[0].push_back(branch.module);
    return c;
  };
  t.build = [](const Attributes&, Children c) {
    check_arg(!c[0].empty(), "Average", "needs a non-empty list 'branches'");
    auto a = std::make_shared<Average>();
    for (auto& branch : c[0]) a->add(std::move(branch));
    return a;
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& a = as<Average>(m);
    check_arg(a.size() > 0, "glia::io::save_onnx", "layer '", at.path, "' (Average) has no branches");
    std::vector<std::string> branches;
    for (size_t i = 0; i < a.size(); ++i)
      branches.push_back(w.module(a[i], join(at.path, std::to_string(i)), at.input, at.shape));
    return w.node("Mean", at, branches);
  };
  return t;
}

LayerType conv2d() {
  LayerType t;
  t.type = typeid(Conv2d);
  t.name = "Conv2d";
  t.attribute_names = {"in", "out", "kernel", "stride", "padding", "bias"};
  t.attributes = [](const Module& m) {
    const auto& c = as<Conv2d>(m);
    return Attributes()
        .set("in", c.in_channels())
        .set("out", c.out_channels())
        .set("kernel", c.kernel_size())
        .set("stride", c.stride())
        .set("padding", c.padding())
        .set("bias", c.bias().defined());
  };
  t.tensor_shapes = [](const Attributes& a) {
    const int64_t out = a.integer("out", 1, kMaxExtent), k = a.integer("kernel", 1, kMaxExtent);
    std::vector<Shape> shapes{{out, a.integer("in", 1, kMaxExtent), k, k}};
    if (a.flag("bias", true)) shapes.push_back({out});
    return shapes;
  };
  t.build = [](const Attributes& a, Children) {
    Rng init(0);  // the weights are loaded next
    return std::make_shared<Conv2d>(
        a.integer("in", 1, kMaxExtent), a.integer("out", 1, kMaxExtent),
        a.integer("kernel", 1, kMaxExtent), a.integer("stride", 1, kMaxExtent),
        a.integer("padding", 0, kMaxExtent), a.flag("bias", true), init);
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& c = as<Conv2d>(m);
    std::vector<std::string> inputs{at.input, w.constant(join(at.path, "weight"), c.weight())};
    if (c.bias().defined()) inputs.push_back(w.constant(join(at.path, "bias"), c.bias()));
    OnnxAttributes attrs = square_window(c.kernel_size(), c.stride(), c.padding());
    attrs.emplace_back("dilations", std::vector<int64_t>{1, 1});
    attrs.emplace_back("group", int64_t{1});
    return w.node("Conv", at, inputs, attrs);
  };
  t.onnx_ops = {"Conv"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(2, 3);
    const OnnxConstant& w = n.weights(1);
    n.expect(w.shape.size() == 4 && w.shape[2] == w.shape[3],
             "glia's Conv2d needs a square 2-D kernel {O, I, k, k}, the weight is ",
             shape_str(w.shape));
    const int64_t k = w.shape[2];
    n.expect(n.integer("group", 1) == 1, "grouped convolution");
    n.expect(n.ints("dilations", {1, 1}) == std::vector<int64_t>{1, 1}, "dilated convolution");
    n.expect(n.ints("kernel_shape", {k, k}) == std::vector<int64_t>{k, k},
             "kernel_shape does not match the weight");
    const int64_t stride = square(n, n.ints("strides", {1, 1}), "strides");
    const std::vector<int64_t> pads = padding(n);
    const OnnxConstant* b = n.has_input(2) ? &n.weights(2) : nullptr;
    n.done();
    n.expect(!b || b->shape == Shape{w.shape[0]}, "the bias is ",
             ShapeStr(b ? &b->shape : nullptr), " for ", w.shape[0], " output channels");
    // Pads [top, left, bottom, right]: equal ones go into the convolution, others before it.
    Layers layers;
    int64_t p = 0;
    if (pads[0] == pads[1] && pads[1] == pads[2] && pads[2] == pads[3]) {
      p = pads[0];
    } else {
      layers.push_back(std::make_shared<ZeroPad2d>(pads[0], pads[2], pads[1], pads[3]));
    }
    Rng init(0);
    auto c = std::make_shared<Conv2d>(w.shape[1], w.shape[0], k, stride, p, b != nullptr, init);
    fill(c->weight(), w.floats);
    if (b) fill(c->bias(), b->floats);
    layers.push_back(c);
    return layers;
  };
  return t;
}

LayerType batch_norm2d() {
  LayerType t;
  t.type = typeid(BatchNorm2d);
  t.name = "BatchNorm2d";
  t.attribute_names = {"channels", "eps", "momentum"};
  t.attributes = [](const Module& m) {
    const auto& b = as<BatchNorm2d>(m);
    return Attributes()
        .set("channels", b.channels())
        .set("eps", as_double(b.eps()))
        .set("momentum", as_double(b.momentum()));
  };
  t.tensor_shapes = [](const Attributes& a) {
    const int64_t c = a.integer("channels", 1, kMaxExtent);
    return std::vector<Shape>{{c}, {c}, {c}, {c}};
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<BatchNorm2d>(a.integer("channels", 1, kMaxExtent),
                                         as_float(a.real("eps", 0, 1e30)),
                                         as_float(a.real("momentum", 0, 1)));
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& b = as<BatchNorm2d>(m);
    // ONNX: running = momentum * running + (1 - momentum) * batch; glia's weighs the batch.
    return w.node("BatchNormalization", at,
                  {at.input, w.constant(join(at.path, "gamma"), b.gamma()),
                   w.constant(join(at.path, "beta"), b.beta()),
                   w.constant(join(at.path, "running_mean"), b.running_mean()),
                   w.constant(join(at.path, "running_var"), b.running_var())},
                  {{"epsilon", b.eps()}, {"momentum", 1.0f - b.momentum()}});
  };
  t.onnx_ops = {"BatchNormalization"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(5, 5);
    const float eps = n.real("epsilon", 1e-5f);
    const float momentum = n.real("momentum", 0.9f);
    n.expect(n.integer("training_mode", 0) == 0, "runs in training mode");
    n.expect(n.integer("spatial", 1) == 1, "spatial = 0");
    n.done();
    const OnnxConstant* p[4];
    for (int i = 0; i < 4; ++i) p[i] = &n.weights(i + 1);
    const Shape channels = p[0]->shape;
    n.expect(channels.size() == 1 && channels[0] >= 1, "scale is ", shape_str(channels));
    for (int i = 1; i < 4; ++i)
      n.expect(p[i]->shape == channels, "input ", i + 1, " is ", shape_str(p[i]->shape), ", not ",
               shape_str(channels));
    for (float v : p[3]->floats) n.expect(v >= 0, "a negative variance");
    n.expect(eps > 0 && momentum >= 0 && momentum <= 1,
             "epsilon must be > 0 and momentum in [0, 1]");
    auto bn = std::make_shared<BatchNorm2d>(channels[0], eps, 1.0f - momentum);
    fill(bn->gamma(), p[0]->floats);
    fill(bn->beta(), p[1]->floats);
    fill(bn->running_mean(), p[2]->floats);
    fill(bn->running_var(), p[3]->floats);
    return Layers{bn};
  };
  t.set_stats_reducer = [](Module& m, BatchStatsReducer reducer) {
    static_cast<BatchNorm2d&>(m).set_stats_reducer(std::move(reducer));
  };
  return t;
}

LayerType dense() {
  LayerType t;
  t.type = typeid(Dense);
  t.name = "Dense";
  t.attribute_names = {"in", "out", "bias"};
  t.attributes = [](const Module& m) {
    const auto& d = as<Dense>(m);
    return Attributes()
        .set("in", d.in_features())
        .set("out", d.out_features())
        .set("bias", d.bias().defined());
  };
  t.tensor_shapes = [](const Attributes& a) {
    const int64_t out = a.integer("out", 1, kMaxExtent);
    std::vector<Shape> shapes{{out, a.integer("in", 1, kMaxExtent)}};
    if (a.flag("bias", true)) shapes.push_back({out});
    return shapes;
  };
  t.build = [](const Attributes& a, Children) {
    Rng init(0);
    return std::make_shared<Dense>(a.integer("in", 1, kMaxExtent), a.integer("out", 1, kMaxExtent),
                                   a.flag("bias", true), init);
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& d = as<Dense>(m);
    std::vector<std::string> inputs{at.input, w.constant(join(at.path, "weight"), d.weight())};
    if (d.bias().defined()) inputs.push_back(w.constant(join(at.path, "bias"), d.bias()));
    return w.node("Gemm", at, inputs, {{"transB", int64_t{1}}});  // glia's weight is {out, in}
  };
  // Y = alpha * A * op(B) + beta * C, as a Dense with weight alpha * op(B)^T and bias beta * C.
  t.onnx_ops = {"Gemm"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(2, 3);
    const float alpha = n.real("alpha", 1.0f), beta = n.real("beta", 1.0f);
    n.expect(n.integer("transA", 0) == 0, "transA = 1");
    const bool trans_b = n.integer("transB", 0) != 0;
    n.done();
    const OnnxConstant& w = n.weights(1);
    n.expect(w.shape.size() == 2 && w.shape[0] >= 1 && w.shape[1] >= 1, "B is ",
             shape_str(w.shape), ", not a matrix");
    const int64_t out = trans_b ? w.shape[0] : w.shape[1], in = trans_b ? w.shape[1] : w.shape[0];
    const OnnxConstant* c = n.has_input(2) ? &n.weights(2) : nullptr;
    n.expect(!c || c->shape == Shape{out} || c->shape == Shape{1, out}, "C is ",
             ShapeStr(c ? &c->shape : nullptr), "; glia adds a bias of ", out, " values");
    Rng init(0);
    auto d = std::make_shared<Dense>(in, out, c != nullptr, init);
    float* weight = d->weight().data();
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        weight[o * in + i] =
            alpha * w.floats[static_cast<size_t>(trans_b ? o * in + i : i * out + o)];
    if (c)
      for (int64_t o = 0; o < out; ++o)
        d->bias().data()[o] = beta * c->floats[static_cast<size_t>(o)];
    return Layers{d};
  };
  return t;
}

// MaxPool2d and AvgPool2d: a square window without padding.
template <class Pool>
LayerType pool(const char* name, const char* onnx_op) {
  LayerType t;
  t.type = typeid(Pool);
  t.name = name;
  t.attribute_names = {"kernel", "stride"};
  t.attributes = [](const Module& m) {
    const auto& p = as<Pool>(m);
    return Attributes().set("kernel", p.kernel_size()).set("stride", p.stride());
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<Pool>(a.integer("kernel", 1, kMaxExtent),
                                  a.integer("stride", 1, kMaxExtent));
  };
  t.to_onnx = [onnx_op](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& p = as<Pool>(m);
    return w.node(onnx_op, at, {at.input}, square_window(p.kernel_size(), p.stride(), 0));
  };
  t.onnx_ops = {onnx_op};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 1);
    const int64_t k = square(n, n.ints("kernel_shape", {}), "kernel_shape");
    const int64_t stride = square(n, n.ints("strides", {1, 1}), "strides");
    n.expect(padding(n) == std::vector<int64_t>{0, 0, 0, 0}, "glia pools without padding");
    n.expect(n.integer("ceil_mode", 0) == 0, "ceil_mode = 1 (glia pools in floor mode)");
    n.expect(n.ints("dilations", {1, 1}) == std::vector<int64_t>{1, 1}, "dilated pooling");
    n.integer("storage_order", 0);      // only affects the Indices output, which is unused
    n.integer("count_include_pad", 0);  // no padding: no difference
    n.done();
    return Layers{std::make_shared<Pool>(k, stride)};
  };
  return t;
}

LayerType zero_pad2d() {
  LayerType t;
  t.type = typeid(ZeroPad2d);
  t.name = "ZeroPad2d";
  t.attribute_names = {"top", "bottom", "left", "right"};
  t.attributes = [](const Module& m) {
    const auto& z = as<ZeroPad2d>(m);
    return Attributes()
        .set("top", z.top())
        .set("bottom", z.bottom())
        .set("left", z.left())
        .set("right", z.right());
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<ZeroPad2d>(
        a.integer("top", 0, kMaxExtent, 0), a.integer("bottom", 0, kMaxExtent, 0),
        a.integer("left", 0, kMaxExtent, 0), a.integer("right", 0, kMaxExtent, 0));
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const auto& z = as<ZeroPad2d>(m);
    // pads: the begin of each axis (N, C, H, W), then the end of each.
    const std::string pads = w.constant(
        join(at.path, "pads"), std::vector<int64_t>{0, 0, z.top(), z.left(), 0, 0, z.bottom(),
                                                    z.right()});
    return w.node("Pad", at, {at.input, pads}, {{"mode", std::string("constant")}});
  };
  t.onnx_ops = {"Pad"};
  t.from_onnx = [](OnnxNodeReader& n) {
    const std::string mode = n.text("mode", "constant");
    n.expect(mode == "constant", "pad mode '", mode, "' (glia pads with zeros)");
    std::vector<int64_t> pads;
    if (n.opset() < 11) {
      n.inputs(1, 1);
      pads = n.ints("pads", {});
      n.expect(n.real("value", 0.0f) == 0.0f, "a non-zero pad value");
    } else {
      n.inputs(2, 3);
      const OnnxConstant& given = n.constant(1);
      n.expect(!given.is_float, "pads must be integers");
      pads = given.ints;
      if (n.has_input(2)) {
        const OnnxConstant& value = n.constant(2);
        n.expect(
            value.numel() == 1 && (value.is_float ? value.floats[0] == 0.0f : value.ints[0] == 0),
            "a non-zero pad value");
      }
    }
    n.done();
    n.expect(pads.size() == 8 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0,
             "glia pads the height and width of {N, C, H, W} only");
    for (int64_t p : pads) n.expect(p >= 0 && p <= kMaxExtent, "a pad of ", p);
    // torch.onnx writes a Pad of zeros before AveragePool: nothing to do.
    if (!pads[2] && !pads[3] && !pads[6] && !pads[7]) return Layers{};
    return Layers{std::make_shared<ZeroPad2d>(pads[2], pads[6], pads[3], pads[7])};
  };
  return t;
}

LayerType leaky_relu() {
  LayerType t;
  t.type = typeid(LeakyReLU);
  t.name = "LeakyReLU";
  t.attribute_names = {"negative_slope"};
  t.attributes = [](const Module& m) {
    return Attributes().set("negative_slope", as_double(as<LeakyReLU>(m).negative_slope()));
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<LeakyReLU>(as_float(a.real("negative_slope", -1e30, 1e30)));
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    return w.node("LeakyRelu", at, {at.input}, {{"alpha", as<LeakyReLU>(m).negative_slope()}});
  };
  t.onnx_ops = {"LeakyRelu"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 1);
    const float alpha = n.real("alpha", 0.01f);
    n.done();
    return Layers{std::make_shared<LeakyReLU>(alpha)};
  };
  return t;
}

LayerType relu() {
  LayerType t = plain<ReLU>("ReLU", "Relu");
  t.attribute_names = {"in_place"};
  t.attributes = [](const Module& m) {
    Attributes a;
    if (as<ReLU>(m).is_in_place()) a.set("in_place", true);  // absent: glia 0.2's files
    return a;
  };
  t.build = [](const Attributes& a, Children) {
    return a.flag("in_place", false) ? std::make_shared<ReLU>(in_place) : std::make_shared<ReLU>();
  };
  return t;
}

LayerType dropout() {
  LayerType t;
  t.type = typeid(Dropout);
  t.name = "Dropout";
  t.attribute_names = {"rate"};
  t.attributes = [](const Module& m) {
    return Attributes().set("rate", as_double(as<Dropout>(m).rate()));
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<Dropout>(as_float(a.real("rate", 0, 1)));
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    // Opset 12 moved the ratio from an attribute to an input; without training_mode the node
    // is the identity, as glia's Dropout is in eval mode.
    return w.node("Dropout", at, {at.input, w.scalar(join(at.path, "ratio"), as<Dropout>(m).rate())});
  };
  t.onnx_ops = {"Dropout"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 3);
    float rate = n.real("ratio", 0.5f);  // an attribute before opset 12
    n.integer("is_test", 1);
    n.integer("seed", 0);
    n.done();
    if (n.has_input(1)) {
      const OnnxConstant& ratio = n.weights(1);
      n.expect(ratio.floats.size() == 1, "ratio is not one number");
      rate = ratio.floats[0];
    }
    if (n.has_input(2)) {
      const OnnxConstant& training = n.constant(2);
      n.expect(training.ints.size() == 1 && training.ints[0] == 0, "training_mode must be false");
    }
    n.expect(rate >= 0 && rate < 1, "ratio ", rate, " outside [0, 1)");
    return Layers{std::make_shared<Dropout>(rate)};
  };
  return t;
}

LayerType standardize() {
  LayerType t;
  t.type = typeid(Standardize);
  t.name = "Standardize";
  t.attribute_names = {"eps"};
  t.attributes = [](const Module& m) {
    return Attributes().set("eps", as_double(as<Standardize>(m).eps()));
  };
  t.build = [](const Attributes& a, Children) {
    return std::make_shared<Standardize>(as_float(a.real("eps", 0, 1e30)));
  };
  t.to_onnx = [](const Module& m, OnnxGraphWriter& w, const OnnxSite& at) {
    const float eps = as<Standardize>(m).eps();
    // ONNX's MeanVarianceNormalization adds a fixed 1e-9 to the standard deviation.
    check_arg(eps == 1e-9f, "glia::io::save_onnx", "layer '", at.path, "' (Standardize) has eps ",
              eps, "; ONNX's MeanVarianceNormalization has 1e-9");
    std::vector<int64_t> axes;
    for (size_t a = 1; a < at.shape.size(); ++a) axes.push_back(static_cast<int64_t>(a));
    return w.node("MeanVarianceNormalization", at, {at.input}, {{"axes", axes}});
  };
  t.onnx_ops = {"MeanVarianceNormalization"};
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 1);
    const int r = n.input_rank();
    n.expect(r >= 2, "the rank of its input is unknown (the graph's input declares no shape), so ",
             "glia cannot tell which axes it normalises");
    std::vector<int64_t> all_but_batch;
    for (int64_t axis = 1; axis < r; ++axis) all_but_batch.push_back(axis);
    n.expect(n.ints("axes", {0, 2, 3}) == all_but_batch,
             "glia's Standardize normalises each example over all its axes (axes 1 to ", r - 1, ")");
    n.done();
    return Layers{std::make_shared<Standardize>(1e-9f)};  // ONNX's fixed epsilon
  };
  return t;
}

LayerType flatten() {
  LayerType t = plain<Flatten>("Flatten", "Flatten");
  t.to_onnx = [](const Module&, OnnxGraphWriter& w, const OnnxSite& at) {
    return w.node("Flatten", at, {at.input}, {{"axis", int64_t{1}}});
  };
  t.from_onnx = [](OnnxNodeReader& n) {
    n.inputs(1, 1);
    n.expect(n.integer("axis", 1) == 1, "flattens from an axis other than 1, which glia's ",
             "Flatten does not");
    n.done();
    return Layers{std::make_shared<Flatten>()};
  };
  return t;
}

}  // namespace

void detail::register_builtin_layers() {
  for (LayerType t :
       {sequential(), residual(), average(), conv2d(), batch_norm2d(), dense(),
        pool<MaxPool2d>("MaxPool2d", "MaxPool"), pool<AvgPool2d>("AvgPool2d", "AveragePool"),
        zero_pad2d(), leaky_relu(), dropout(), standardize(), relu(),
        plain<Sigmoid>("Sigmoid", "Sigmoid"), plain<Tanh>("Tanh", "Tanh"),
        plain<GlobalAvgPool2d>("GlobalAvgPool2d", "GlobalAveragePool"), flatten()}) {
    add_builtin_layer(std::move(t));
  }
}

}  // namespace glia::nn
