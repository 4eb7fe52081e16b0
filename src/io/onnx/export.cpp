// save_onnx: glia modules -> an ONNX graph, one node per layer (plus Residual's Add and
// Average's Mean).
#include <string>
#include <typeinfo>
#include <vector>

#include "glia/io/atomic_file.hpp"
#include "glia/io/onnx.hpp"
#include "glia/nn/activation_layers.hpp"
#include "glia/nn/average.hpp"
#include "glia/nn/batch_norm2d.hpp"
#include "glia/nn/conv2d.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/dropout.hpp"
#include "glia/nn/pooling.hpp"
#include "glia/nn/residual.hpp"
#include "glia/nn/shape_layers.hpp"
#include "glia/nn/standardize.hpp"
#include "glia/support/check.hpp"
#include "proto.hpp"

namespace glia::io {
namespace {

using namespace onnx_detail;

// Exact types only: a subclass of a layer may compute something else.
template <class T>
const T* exactly(const nn::Module& m) {
  return typeid(m) == typeid(T) ? static_cast<const T*>(&m) : nullptr;
}

class Exporter {
 public:
  explicit Exporter(pb::GraphProto& graph) : graph_(graph) {}

  // Appends the nodes computing `m` on tensor `x` of shape `shape` (named `path` in the model);
  // returns the name of the tensor holding the result.
  std::string add(const nn::Module& m, const std::string& path, const std::string& x,
                  const Shape& shape) {
    const std::string out = path.empty() ? "output" : path;
    if (const auto* s = exactly<nn::Sequential>(m)) {
      std::string h = x;
      Shape h_shape = shape;
      for (size_t i = 0; i < s->size(); ++i) {
        h = add((*s)[i], join(path, std::to_string(i)), h, h_shape);
        h_shape = (*s)[i].output_shape(h_shape);
      }
      return h;
    }
    if (const auto* r = exactly<nn::Residual>(m)) {
      const std::string body = add(r->body(), join(path, "body"), x, shape);
      const std::string side =
          r->shortcut() ? add(*r->shortcut(), join(path, "shortcut"), x, shape) : x;
      node("Add", path, {body, side}, out);
      return out;
    }
    if (const auto* a = exactly<nn::Average>(m)) {
      check_arg(a->size() > 0, "glia::io::save_onnx", "layer '", path,
                "' (Average) has no branches");
      std::vector<std::string> branches;
      for (size_t i = 0; i < a->size(); ++i)
        branches.push_back(add((*a)[i], join(path, std::to_string(i)), x, shape));
      node("Mean", path, branches, out);
      return out;
    }
    if (const auto* c = exactly<nn::Conv2d>(m)) {
      std::vector<std::string> inputs{x, weight(join(path, "weight"), c->weight())};
      if (c->bias().defined()) inputs.push_back(weight(join(path, "bias"), c->bias()));
      pb::NodeProto& n = node("Conv", path, inputs, out);
      const int64_t k = c->kernel_size(), s = c->stride(), p = c->padding();
      ints(n, "kernel_shape", {k, k});
      ints(n, "strides", {s, s});
      ints(n, "pads", {p, p, p, p});
      ints(n, "dilations", {1, 1});
      integer(n, "group", 1);
      return out;
    }
    if (const auto* b = exactly<nn::BatchNorm2d>(m)) {
      pb::NodeProto& n =
          node("BatchNormalization", path,
               {x, weight(join(path, "gamma"), b->gamma()), weight(join(path, "beta"), b->beta()),
                weight(join(path, "running_mean"), b->running_mean()),
                weight(join(path, "running_var"), b->running_var())},
               out);
      real(n, "epsilon", b->eps());
      // ONNX: running = momentum * running + (1 - momentum) * batch; glia's weighs the batch.
      real(n, "momentum", 1.0f - b->momentum());
      return out;
    }
    if (const auto* d = exactly<nn::Dense>(m)) {
      std::vector<std::string> inputs{x, weight(join(path, "weight"), d->weight())};
      if (d->bias().defined()) inputs.push_back(weight(join(path, "bias"), d->bias()));
      pb::NodeProto& n = node("Gemm", path, inputs, out);
      integer(n, "transB", 1);  // glia's weight is {out, in}
      return out;
    }
    if (const auto* p = exactly<nn::MaxPool2d>(m)) return pool("MaxPool", *p, path, x, out);
    if (const auto* p = exactly<nn::AvgPool2d>(m)) return pool("AveragePool", *p, path, x, out);
    if (const auto* z = exactly<nn::ZeroPad2d>(m)) {
      // pads: the begin of each axis (N, C, H, W), then the end of each.
      const std::string pads =
          int64s(join(path, "pads"), {0, 0, z->top(), z->left(), 0, 0, z->bottom(), z->right()});
      text(node("Pad", path, {x, pads}, out), "mode", "constant");
      return out;
    }
    if (const auto* z = exactly<nn::Standardize>(m)) {
      // ONNX's MeanVarianceNormalization adds a fixed 1e-9 to the standard deviation.
      check_arg(z->eps() == 1e-9f, "glia::io::save_onnx", "layer '", path,
                "' (Standardize) has eps ", z->eps(),
                "; ONNX's MeanVarianceNormalization has 1e-9");
      std::vector<int64_t> axes;
      for (size_t a = 1; a < shape.size(); ++a) axes.push_back(static_cast<int64_t>(a));
      ints(node("MeanVarianceNormalization", path, {x}, out), "axes", axes);
      return out;
    }
    if (const auto* l = exactly<nn::LeakyReLU>(m)) {
      real(node("LeakyRelu", path, {x}, out), "alpha", l->negative_slope());
      return out;
    }
    if (const auto* d = exactly<nn::Dropout>(m)) {
      // Opset 12 moved the ratio from an attribute to an input; without training_mode the
      // node is the identity, as glia's Dropout is in eval mode.
      node("Dropout", path, {x, scalar(join(path, "ratio"), d->rate())}, out);
      return out;
    }
    if (exactly<nn::Flatten>(m)) {
      integer(node("Flatten", path, {x}, out), "axis", 1);
      return out;
    }
    const char* simple = exactly<nn::ReLU>(m)              ? "Relu"
                         : exactly<nn::Sigmoid>(m)         ? "Sigmoid"
                         : exactly<nn::Tanh>(m)            ? "Tanh"
                         : exactly<nn::GlobalAvgPool2d>(m) ? "GlobalAveragePool"
                                                           : nullptr;
    if (simple) {
      node(simple, path, {x}, out);
      return out;
    }
    throw std::invalid_argument(concat(
        "glia::io::save_onnx: cannot export ", path.empty() ? "the model" : "layer '" + path + "'",
        " (", m.type_name(), "): ONNX export knows Sequential, Residual, Average ",
        "and glia's built-in layers"));
  }

 private:
  static std::string join(const std::string& path, const std::string& name) {
    return path.empty() ? name : path + "." + name;
  }

  pb::NodeProto& node(const char* op, const std::string& name,
                      const std::vector<std::string>& inputs, const std::string& output) {
    pb::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op : name);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    return *n;
  }

  template <class Pool>
  std::string pool(const char* op, const Pool& p, const std::string& path, const std::string& x,
                   const std::string& out) {
    pb::NodeProto& n = node(op, path, {x}, out);
    const int64_t k = p.kernel_size(), s = p.stride();
    ints(n, "kernel_shape", {k, k});
    ints(n, "strides", {s, s});
    ints(n, "pads", {0, 0, 0, 0});
    return out;
  }

  std::string weight(const std::string& name, const Tensor& t) {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::FLOAT);
    for (int64_t d : t.shape()) init->add_dims(d);
    // raw_data is little-endian, as this machine's floats are.
    init->set_raw_data(t.data(), sizeof(float) * static_cast<size_t>(t.numel()));
    return name;
  }
  std::string scalar(const std::string& name, float value) {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::FLOAT);
    init->add_float_data(value);
    return name;
  }
  std::string int64s(const std::string& name, const std::vector<int64_t>& values) {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) init->add_int64_data(v);
    return name;
  }

  static pb::AttributeProto& attribute(pb::NodeProto& n, const char* name,
                                       pb::AttributeProto::AttributeType type) {
    pb::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(type);
    return *a;
  }
  static void ints(pb::NodeProto& n, const char* name, const std::vector<int64_t>& values) {
    pb::AttributeProto& a = attribute(n, name, pb::AttributeProto::INTS);
    for (int64_t v : values) a.add_ints(v);
  }
  static void integer(pb::NodeProto& n, const char* name, int64_t value) {
    attribute(n, name, pb::AttributeProto::INT).set_i(value);
  }
  static void real(pb::NodeProto& n, const char* name, float value) {
    attribute(n, name, pb::AttributeProto::FLOAT).set_f(value);
  }
  static void text(pb::NodeProto& n, const char* name, const std::string& value) {
    attribute(n, name, pb::AttributeProto::STRING).set_s(value);
  }

  pb::GraphProto& graph_;
};

void set_shape(pb::ValueInfoProto& value, const Shape& shape) {
  pb::TypeProto::Tensor* type = value.mutable_type()->mutable_tensor_type();
  type->set_elem_type(pb::TensorProto::FLOAT);
  pb::TensorShapeProto* dims = type->mutable_shape();
  dims->add_dim()->set_dim_param("N");
  for (size_t i = 1; i < shape.size(); ++i) dims->add_dim()->set_dim_value(shape[i]);
}

}  // namespace

void save_onnx(const nn::Module& model, const Shape& input_shape, const std::string& path) {
  check_arg(!input_shape.empty(), "glia::io::save_onnx",
            "needs one example's input shape, e.g. {3, 240, 240}");
  Shape batch_shape{1};
  batch_shape.insert(batch_shape.end(), input_shape.begin(), input_shape.end());
  const Shape output_shape = model.output_shape(batch_shape);  // throws on a shape mismatch

  pb::ModelProto proto;
  proto.set_ir_version(kIrVersion);
  proto.set_producer_name("glia");
  proto.set_producer_version(GLIA_VERSION);
  pb::OperatorSetIdProto* opset = proto.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  pb::GraphProto& graph = *proto.mutable_graph();
  graph.set_name(model.type_name());

  Exporter exporter(graph);
  const std::string last = exporter.add(model, "", "input", batch_shape);
  if (last == "input") {  // an empty model: ONNX needs a node between input and output
    pb::NodeProto* n = graph.add_node();
    n->set_op_type("Identity");
    n->set_name("Identity");
    n->add_input("input");
    n->add_output("output");
  } else {
    // The graph's result is called "output", whichever layer computes it.
    for (pb::NodeProto& n : *graph.mutable_node())
      if (n.output(0) == last) n.set_output(0, "output");
  }
  pb::ValueInfoProto* in = graph.add_input();
  in->set_name("input");
  set_shape(*in, batch_shape);
  pb::ValueInfoProto* result = graph.add_output();
  result->set_name("output");
  set_shape(*result, output_shape);

  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    throw std::runtime_error("glia::io::save_onnx: cannot encode the model for '" + path + "'");
  write_file_atomically(path, bytes);
}

}  // namespace glia::io
