// load_onnx: an ONNX graph -> nn::Sequential. The file is untrusted: every tensor's size is
// checked against its data, every attribute against what glia can compute, and the graph's
// shape (one chain from the input to the output, with two-way residual forks) before any layer
// is built.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "constant.hpp"
#include "glia/io/atomic_file.hpp"
#include "glia/io/onnx.hpp"
#include "glia/nn/average.hpp"
#include "glia/nn/dense.hpp"
#include "glia/nn/layer_registry.hpp"
#include "glia/nn/residual.hpp"
#include "glia/support/check.hpp"

namespace glia::io {
namespace {

using namespace onnx_detail;

std::string describe(const pb::NodeProto& n) {
  return concat("'", n.name(), "' (", n.op_type(), ")");
}

// The attributes of one node: each is read at most once by name with its expected type, and
// done() fails on any the reader did not ask for (an option glia would silently ignore).
class Attributes {
 public:
  explicit Attributes(const pb::NodeProto& n) : n_(n) {
    for (const pb::AttributeProto& a : n.attribute()) {
      expect(!a.has_ref_attr_name() || a.ref_attr_name().empty(), "node ", describe(n),
             ": attribute references are not supported");
      expect(by_name_.emplace(a.name(), &a).second, "node ", describe(n), " sets attribute '",
             a.name(), "' twice");
    }
  }
  int64_t integer(const char* name, int64_t fallback) {
    const pb::AttributeProto* a = take(name, pb::AttributeProto::INT);
    return a ? a->i() : fallback;
  }
  float real(const char* name, float fallback) {
    const pb::AttributeProto* a = take(name, pb::AttributeProto::FLOAT);
    if (!a) return fallback;
    expect(std::isfinite(a->f()), "node ", describe(n_), ": attribute '", name, "' is ", a->f());
    return a->f();
  }
  std::string text(const char* name, const std::string& fallback) {
    const pb::AttributeProto* a = take(name, pb::AttributeProto::STRING);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> ints(const char* name, std::vector<int64_t> fallback) {
    const pb::AttributeProto* a = take(name, pb::AttributeProto::INTS);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  }
  void done() const {
    for (const auto& [name, a] : by_name_)
      expect(taken_.count(name), "node ", describe(n_), ": attribute '", name,
             "' is not supported");
  }

 private:
  const pb::AttributeProto* take(const char* name, pb::AttributeProto::AttributeType type) {
    auto it = by_name_.find(name);
    taken_.insert(name);
    if (it == by_name_.end()) return nullptr;
    expect(it->second->type() == type || it->second->type() == pb::AttributeProto::UNDEFINED,
           "node ", describe(n_), ": attribute '", name, "' has the wrong type");
    return it->second;
  }
  const pb::NodeProto& n_;
  std::map<std::string, const pb::AttributeProto*> by_name_;
  std::set<std::string> taken_;
};

class GraphReader {
 public:
  static std::string describe_node(const pb::NodeProto& n) { return describe(n); }
  GraphReader(const pb::ModelProto& model, const OnnxLoadOptions& options) : graph_(model.graph()) {
    read_opset(model);
    expect(graph_.node_size() <= options.max_nodes, "the graph has ", graph_.node_size(),
           " nodes, over the limit of ", options.max_nodes);
    for (const pb::TensorProto& t : graph_.initializer()) {
      expect(!t.name().empty(), "an initializer has no name");
      expect(constants_.emplace(t.name(), decode(t, t.name())).second, "initializer '", t.name(),
             "' is defined twice");
    }
    // Constants first, and what the shape operators compute from them (in the file's order,
    // which ONNX requires to be topological).
    for (int i = 0; i < graph_.node_size(); ++i) {
      const pb::NodeProto& n = graph_.node(i);
      expect(n.domain().empty() || n.domain() == "ai.onnx", "node ", describe(n),
             " is from operator set '", n.domain(), "', which glia does not know");
      if (n.op_type() == "Constant") {
        read_constant_node(n);
        constant_nodes_.insert(i);
      } else if (can_fold(n.op_type()) && n.input_size() >= 1 && is_constant(n.input(0))) {
        std::vector<const Constant*> in;
        for (const std::string& name : n.input()) {
          expect(name.empty() || is_constant(name), "node ", describe(n), " mixes constants and ",
                 "computed tensors, which glia cannot fold");
          in.push_back(name.empty() ? nullptr : &constants_.at(name));
        }
        expect(n.output_size() == 1, "node ", describe(n), " has ", n.output_size(), " outputs");
        expect(constants_.emplace(n.output(0), fold(n, in)).second, "tensor '", n.output(0),
               "' is defined twice");
        constant_nodes_.insert(i);
      }
    }
    for (int i = 0; i < graph_.node_size(); ++i) {
      const pb::NodeProto& n = graph_.node(i);
      if (constant_nodes_.count(i)) continue;
      for (int j = 0; j < n.input_size(); ++j)
        if (is_data(n.input(j))) consumers_[n.input(j)].push_back(i);
    }
    find_input_and_output();
  }

  nn::Sequential read() {
    nn::Sequential model =
        example_shape_.empty() ? nn::Sequential() : nn::Sequential(example_shape_);
    const Walk end = walk(input_, -1, model, 0);
    if (end.join >= 0)
      fail("node ", describe(graph_.node(end.join)),
           " joins tensors that do not fork from one tensor; glia reads residual and average "
           "joins only");
    expect(end.tensor == output_, "the chain from the input ends at tensor '", end.tensor,
           "', not at the graph's output '", output_, "'");
    const int used = graph_.node_size() - static_cast<int>(constant_nodes_.size());
    expect(static_cast<int>(visited_.size()) == used, "the graph has ", used, " nodes, of which ",
           visited_.size(), " are on the path from the input to the output");
    model.eval();
    return model;
  }

 private:
  struct Walk {
    std::string tensor;  // where the chain stopped
    int join = -1;       // the Add it stopped at, if any
  };

  // Follows the chain from `tensor` (starting with node `first` when >= 0), appending layers to
  // `seq`, until the graph's output or an Add that joins two branches.
  Walk walk(std::string tensor, int first, nn::Sequential& seq, int depth) {
    expect(depth <= kMaxDepth, "branches are nested more than ", kMaxDepth, " deep");
    while (true) {
      int index = first;
      first = -1;
      if (index < 0) {
        const std::vector<int>& users = consumers(tensor);
        if (users.empty()) return {tensor, -1};
        if (users.size() >= 2) {
          expect(users.size() <= kMaxBranches, "tensor '", tensor, "' feeds ", users.size(),
                 " nodes, more than glia reads (", kMaxBranches, ")");
          tensor = fork(tensor, users, seq, depth);
          continue;
        }
        index = users[0];
      }
      const pb::NodeProto& n = graph_.node(index);
      if (is_join(n)) return {tensor, index};
      expect(visited_.insert(index).second, "node ", describe(n), " is reached twice (a cycle)");
      expect(n.input_size() >= 1 && n.input(0) == tensor, "node ", describe(n), " takes tensor '",
             tensor, "' as an input other than its first");
      expect(n.output_size() >= 1 && !n.output(0).empty(), "node ", describe(n), " has no output");
      for (int j = 1; j < n.output_size(); ++j)
        expect(n.output(j).empty() || consumers(n.output(j)).empty(), "node ", describe(n),
               " has a second output '", n.output(j),
               "' that is used; glia computes only the first");
      const std::string input_rank_of = tensor;
      tensor = add_layers(n, seq);
      // Flatten, Gemm and MatMul give matrices; every other layer keeps its input's rank.
      const std::string& op = n.op_type();
      rank_[tensor] = op == "Flatten" || op == "Gemm" || op == "MatMul" ? 2 : rank(input_rank_of);
    }
  }

  // Branches from `tensor` that meet again in one node: two in an Add (an nn::Residual), or
  // any number in a Mean (an nn::Average).
  std::string fork(const std::string& tensor, const std::vector<int>& users, nn::Sequential& seq,
                   int depth) {
    std::vector<nn::Sequential> branch(users.size());
    std::vector<Walk> end(users.size());
    for (size_t b = 0; b < users.size(); ++b) {
      const pb::NodeProto& n = graph_.node(users[b]);
      end[b] = is_join(n) ? Walk{tensor, users[b]} : walk(tensor, users[b], branch[b], depth + 1);
      expect(end[b].join >= 0, "tensor '", tensor, "' forks into ", users.size(),
             " branches, and the branch through node ", describe(n),
             " ends without joining the others");
      expect(end[b].join == end[0].join, "the branches from tensor '", tensor,
             "' end in different nodes, ", describe(graph_.node(end[0].join)), " and ",
             describe(graph_.node(end[b].join)));
    }
    const int join = end[0].join;
    const pb::NodeProto& meet = graph_.node(join);
    expect(visited_.insert(join).second, "node ", describe(meet), " is reached twice");
    expect(meet.input_size() == static_cast<int>(users.size()), "node ", describe(meet), " joins ",
           meet.input_size(), " tensors, of which only ", users.size(), " fork from tensor '",
           tensor, "'");
    if (meet.op_type() == "Mean") {
      // Branch k of the Average computes the Mean's input k.
      auto average = std::make_shared<nn::Average>();
      std::vector<bool> used(users.size(), false);
      for (int k = 0; k < meet.input_size(); ++k) {
        size_t b = 0;
        while (b < users.size() && (used[b] || end[b].tensor != meet.input(k))) ++b;
        expect(b < users.size(), "node ", describe(meet), " averages tensor '", meet.input(k),
               "', which no branch from tensor '", tensor, "' computes");
        used[b] = true;
        average->add(std::make_shared<nn::Sequential>(std::move(branch[b])));
      }
      seq.add(average);
      rank_[meet.output(0)] = rank(meet.input(0));
      return meet.output(0);
    }
    expect(users.size() == 2, "tensor '", tensor, "' forks into ", users.size(),
           " branches that meet in an Add; glia reads two-way residual forks");
    expect(branch[0].size() + branch[1].size() > 0, "node ", describe(meet),
           " adds a tensor to itself");
    // The body is the branch behind the Add's first input, unless that one is the identity.
    int body = meet.input(0) == end[0].tensor ? 0 : 1;
    if (branch[body].size() == 0) body = 1 - body;
    auto body_module = std::make_shared<nn::Sequential>(std::move(branch[body]));
    std::shared_ptr<nn::Module> shortcut;
    if (branch[1 - body].size() > 0)
      shortcut = std::make_shared<nn::Sequential>(std::move(branch[1 - body]));
    seq.add(std::make_shared<nn::Residual>(body_module, shortcut));
    rank_[meet.output(0)] = rank(meet.input(0));
    return meet.output(0);
  }

  // ---- one node -> glia layers ------------------------------------------------------------

  // Returns the tensor after the layers: the node's output, or for a MatMul that absorbed the
  // bias Add behind it, that Add's. Every operator but the graph patterns here (MatMul + Add,
  // Identity, a Mean of one tensor) is read by the layer type that claims it in the registry.
  std::string add_layers(const pb::NodeProto& n, nn::Sequential& seq) {
    const std::string& op = n.op_type();
    if (op == "MatMul") {
      Attributes a(n);
      return matmul(n, a, seq);
    }
    if (op == "Identity" || op == "Mean") {  // a Mean of one tensor is the identity
      inputs(n, 1, 1);
      Attributes(n).done();
      return n.output(0);
    }
    const nn::LayerType* type = nn::find_onnx_operator(op);
    expect(type != nullptr, "node ", describe(n), ": glia has no layer for the operator '", op,
           "'");
    NodeReader reader(*this, n);
    for (std::shared_ptr<nn::Module>& layer : type->from_onnx(reader)) seq.add(std::move(layer));
    return n.output(0);
  }

  // X * B with a constant B {in, out}: a Dense without bias (an Add of a constant after it
  // becomes its bias, as torch.onnx writes nn.Linear for inputs of other ranks).
  std::string matmul(const pb::NodeProto& n, Attributes& a, nn::Sequential& seq) {
    inputs(n, 2, 2);
    a.done();
    const Constant& w = weights(n, 1);
    expect(w.shape.size() == 2 && w.shape[0] >= 1 && w.shape[1] >= 1, "node ", describe(n),
           ": glia multiplies by a constant matrix only, B is ", shape_str(w.shape));
    const int64_t in = w.shape[0], out = w.shape[1];
    // A bias Add right behind: fold it in.
    const Constant* bias = nullptr;
    std::string result = n.output(0);
    const std::vector<int>& users = consumers(n.output(0));
    if (users.size() == 1) {
      const pb::NodeProto& next = graph_.node(users[0]);
      if (next.op_type() == "Add" && next.input_size() == 2 && next.input(0) == n.output(0) &&
          is_constant(next.input(1))) {
        bias = &constants_.at(next.input(1));
        expect(bias->is_float && (bias->shape == Shape{out} || bias->shape == Shape{1, out}),
               "node ", describe(next), " adds ", shape_str(bias->shape), " to ", out, " features");
        expect(visited_.insert(users[0]).second, "node ", describe(next), " is reached twice");
        result = next.output(0);
      }
    }
    Rng init(0);
    auto d = std::make_shared<nn::Dense>(in, out, bias != nullptr, init);
    for (int64_t o = 0; o < out; ++o)
      for (int64_t i = 0; i < in; ++i)
        d->weight().data()[o * in + i] = w.floats[static_cast<size_t>(i * out + o)];
    if (bias) fill(d->bias(), bias->floats);
    seq.add(d);
    return result;
  }

  // One node as a layer type's from_onnx reads it (nn/onnx_mapping.hpp).
  class NodeReader : public nn::OnnxNodeReader {
   public:
    NodeReader(const GraphReader& graph, const pb::NodeProto& n)
        : graph_(graph), n_(n), attributes_(n) {}
    const std::string& op() const override { return n_.op_type(); }
    std::string describe() const override { return GraphReader::describe_node(n_); }
    int64_t opset() const override { return graph_.opset_; }
    void inputs(int min, int max) const override { graph_.inputs(n_, min, max); }
    bool has_input(int i) const override { return i < n_.input_size() && !n_.input(i).empty(); }
    int input_rank() const override { return graph_.rank(n_.input(0)); }
    int64_t integer(const char* name, int64_t fallback) override {
      return attributes_.integer(name, fallback);
    }
    float real(const char* name, float fallback) override {
      return attributes_.real(name, fallback);
    }
    std::string text(const char* name, const std::string& fallback) override {
      return attributes_.text(name, fallback);
    }
    std::vector<int64_t> ints(const char* name, std::vector<int64_t> fallback) override {
      return attributes_.ints(name, std::move(fallback));
    }
    void done() override { attributes_.done(); }
    const nn::OnnxConstant& constant(int i) const override { return graph_.constant(n_, i); }
    const nn::OnnxConstant& weights(int i) const override { return graph_.weights(n_, i); }
    [[noreturn]] void fail(const std::string& what) const override {
      onnx_detail::fail("node ", describe(), ": ", what);
    }

   private:
    const GraphReader& graph_;
    const pb::NodeProto& n_;
    Attributes attributes_;
  };

  // ---- helpers ------------------------------------------------------------------------------

  void inputs(const pb::NodeProto& n, int min, int max) const {
    expect(n.input_size() >= min && n.input_size() <= max, "node ", describe(n), " has ",
           n.input_size(), " inputs, expected ", min, min == max ? "" : concat(" to ", max));
    for (int j = 1; j < n.input_size(); ++j)
      expect(n.input(j).empty() || is_constant(n.input(j)), "node ", describe(n), ": input '",
             n.input(j), "' must be a constant (an initializer)");
  }
  bool is_constant(const std::string& name) const { return constants_.count(name) > 0; }
  bool is_data(const std::string& name) const { return !name.empty() && !is_constant(name); }
  const Constant& constant(const pb::NodeProto& n, int j) const {
    expect(j < n.input_size() && is_constant(n.input(j)), "node ", describe(n), ": input ", j + 1,
           " must be a constant");
    const Constant& c = constants_.at(n.input(j));
    expect(c.numel() > 0, "node ", describe(n), ": input ", j + 1, " is empty");
    return c;
  }
  const Constant& weights(const pb::NodeProto& n, int j) const {
    const Constant& c = constant(n, j);
    expect(c.is_float, "node ", describe(n), ": input ", j + 1, " must hold floats");
    return c;
  }
  // Where branches meet: an Add of two computed tensors (residual branches), or a Mean of two
  // or more (an average, e.g. of an ensemble's models).
  bool is_join(const pb::NodeProto& n) const {
    if (n.op_type() == "Add" && n.input_size() == 2)
      return is_data(n.input(0)) && is_data(n.input(1));
    if (n.op_type() != "Mean" || n.input_size() < 2) return false;
    for (const std::string& input : n.input())
      if (!is_data(input)) return false;
    return true;
  }
  const std::vector<int>& consumers(const std::string& tensor) const {
    static const std::vector<int> none;
    auto it = consumers_.find(tensor);
    return it == consumers_.end() ? none : it->second;
  }
  static void fill(Tensor t, const std::vector<float>& values) {
    check_arg(static_cast<int64_t>(values.size()) == t.numel(), "load_onnx", "internal size");
    std::memcpy(t.data(), values.data(), sizeof(float) * values.size());
  }

  void read_opset(const pb::ModelProto& model) {
    for (const pb::OperatorSetIdProto& o : model.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
    expect(opset_ >= kMinOpset && opset_ <= kMaxOpset, "the model uses ONNX operator set ", opset_,
           "; glia reads ", kMinOpset, " to ", kMaxOpset);
  }
  void read_constant_node(const pb::NodeProto& n) {
    expect(n.input_size() == 0 && n.output_size() == 1 && n.attribute_size() == 1 &&
               n.attribute(0).name() == "value" && n.attribute(0).has_t(),
           "node ", describe(n), ": glia reads Constant nodes with one tensor 'value'");
    expect(constants_.emplace(n.output(0), decode(n.attribute(0).t(), n.output(0))).second,
           "constant '", n.output(0), "' is defined twice");
  }
  void find_input_and_output() {
    std::vector<const pb::ValueInfoProto*> inputs;
    for (const pb::ValueInfoProto& v : graph_.input())
      if (!is_constant(v.name())) inputs.push_back(&v);
    expect(inputs.size() == 1, "the graph has ", inputs.size(), " inputs; glia reads one");
    expect(graph_.output_size() == 1, "the graph has ", graph_.output_size(),
           " outputs; glia reads one");
    input_ = inputs[0]->name();
    output_ = graph_.output(0).name();
    // {N, C, H, W} with known C, H, W: the model's example shape.
    const pb::TypeProto& type = inputs[0]->type();
    if (type.has_tensor_type()) {
      const pb::TypeProto::Tensor& t = type.tensor_type();
      expect(!t.has_elem_type() || t.elem_type() == pb::TensorProto::FLOAT, "the input '", input_,
             "' is not a float tensor");
      if (t.has_shape()) rank_[input_] = t.shape().dim_size();
      Shape shape;
      for (int i = 1; t.has_shape() && i < t.shape().dim_size(); ++i) {
        const pb::TensorShapeProto::Dimension& d = t.shape().dim(i);
        if (!d.has_dim_value() || d.dim_value() < 1 || d.dim_value() > kMaxExtent) return;
        shape.push_back(d.dim_value());
      }
      example_shape_ = shape;
    }
  }

  const pb::GraphProto& graph_;
  int64_t opset_ = 0;
  std::map<std::string, Constant> constants_;
  std::map<std::string, std::vector<int>> consumers_;  // data tensor -> nodes reading it
  std::set<int> visited_;
  std::set<int> constant_nodes_;  // Constant nodes and the nodes folded into constants
  std::string input_, output_;
  Shape example_shape_;
  std::map<std::string, int> rank_;  // data tensor -> its rank, where known
  int rank(const std::string& tensor) const {
    auto it = rank_.find(tensor);
    return it == rank_.end() ? -1 : it->second;
  }
};

}  // namespace

nn::Sequential parse_onnx(std::string_view bytes, const std::string& name,
                          const OnnxLoadOptions& options) {
  const std::string where = "glia::io::load_onnx: '" + name + "'";
  if (static_cast<int64_t>(bytes.size()) > options.max_file_bytes)
    throw std::runtime_error(
        concat(where, " is ", bytes.size(), " bytes, over the limit of ", options.max_file_bytes));
  pb::ModelProto model;
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !model.has_graph())
    throw std::runtime_error(where + " is not an ONNX model (corrupt or truncated protobuf)");
  try {
    nn::Sequential result = GraphReader(model, options).read();
    if (!result.example_shape().empty()) {
      Shape batch{1};
      batch.insert(batch.end(), result.example_shape().begin(), result.example_shape().end());
      result.output_shape(batch);  // every layer's shape checked against the next
    }
    return result;
  } catch (const FileError& e) {
    throw std::runtime_error(where + ": " + e.what());
  } catch (const std::invalid_argument& e) {  // a layer refused its sizes
    throw std::runtime_error(where + ": " + e.what());
  }
}

nn::Sequential load_onnx(const std::string& path, const OnnxLoadOptions& options) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error)
    throw std::runtime_error("glia::io::load_onnx: cannot read '" + path + "': " + error.message());
  if (static_cast<int64_t>(size) > options.max_file_bytes)
    throw std::runtime_error(concat("glia::io::load_onnx: '", path, "' is ", size,
                                    " bytes, over the limit of ", options.max_file_bytes));
  return parse_onnx(read_file(path), path, options);
}

}  // namespace glia::io
