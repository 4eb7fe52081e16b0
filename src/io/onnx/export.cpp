// save_onnx: glia modules -> an ONNX graph, each module writing its own nodes (one per layer,
// plus Residual's Add and Average's Mean) through its layer type's mapping.
#include <string>
#include <variant>
#include <vector>

#include "glia/io/atomic_file.hpp"
#include "glia/io/onnx.hpp"
#include "glia/nn/layer_registry.hpp"
#include "glia/support/check.hpp"
#include "proto.hpp"

namespace glia::io {
namespace {

using namespace onnx_detail;

// Writes each module's nodes through its layer type's to_onnx (nn/layer_registry.hpp).
class Exporter : public nn::OnnxGraphWriter {
 public:
  explicit Exporter(pb::GraphProto& graph) : graph_(graph) {}

  std::string module(const nn::Module& m, const std::string& path, const std::string& input,
                     const Shape& shape) override {
    const nn::LayerType* type = nn::find_layer_type(m);
    if (!type || !type->to_onnx) {
      throw std::invalid_argument(concat(
          "glia::io::save_onnx: cannot export ",
          path.empty() ? "the model" : "layer '" + path + "'", " (", m.type_name(),
          "): ONNX export knows the layer types registered with an ONNX mapping ",
          "(glia's own, and yours through nn::register_layer)"));
    }
    return type->to_onnx(m, *this, nn::OnnxSite{path, input, shape});
  }

  std::string node(const std::string& op, const nn::OnnxSite& site,
                   const std::vector<std::string>& inputs,
                   const nn::OnnxAttributes& attributes) override {
    const std::string output = site.path.empty() ? "output" : site.path;
    pb::NodeProto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(site.path.empty() ? op : site.path);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output);
    for (const auto& [name, value] : attributes) add_attribute(*n, name, value);
    return output;
  }

  std::string constant(const std::string& name, const Tensor& t) override {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::FLOAT);
    for (int64_t d : t.shape()) init->add_dims(d);
    // raw_data is little-endian, as this machine's floats are.
    init->set_raw_data(t.data(), sizeof(float) * static_cast<size_t>(t.numel()));
    return name;
  }
  std::string constant(const std::string& name, const std::vector<int64_t>& values) override {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::INT64);
    init->add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values) init->add_int64_data(v);
    return name;
  }
  std::string scalar(const std::string& name, float value) override {
    pb::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(pb::TensorProto::FLOAT);
    init->add_float_data(value);
    return name;
  }

 private:
  static void add_attribute(pb::NodeProto& n, const std::string& name,
                            const nn::OnnxAttribute& value) {
    pb::AttributeProto* a = n.add_attribute();
    a->set_name(name);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      a->set_type(pb::AttributeProto::INT);
      a->set_i(*i);
    } else if (const auto* f = std::get_if<float>(&value)) {
      a->set_type(pb::AttributeProto::FLOAT);
      a->set_f(*f);
    } else if (const auto* text = std::get_if<std::string>(&value)) {
      a->set_type(pb::AttributeProto::STRING);
      a->set_s(*text);
    } else {
      a->set_type(pb::AttributeProto::INTS);
      for (int64_t v : std::get<std::vector<int64_t>>(value)) a->add_ints(v);
    }
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
  const std::string last = exporter.module(model, "", "input", batch_shape);
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
