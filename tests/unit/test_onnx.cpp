// ONNX export and import: round trips of every layer (checked by libonnx's own checker), a model
// exported by PyTorch (golden file from tests/golden/make_onnx_golden.py), and bad files.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>

#include <glia/glia.hpp>
#include <glia/io/onnx.hpp>

#include "golden_file.hpp"

using namespace glia;
namespace fs = std::filesystem;

namespace {

std::string scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("glia_onnx_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

std::string data_file(const std::string& name) {
  return std::string(GLIA_TEST_DATA_DIR) + "/" + name;
}

// Random non-default values in every parameter and batch-norm statistic.
void randomize(nn::Module& model, uint64_t seed) {
  Rng rng(seed);
  for (NamedTensor& p : model.named_state()) {
    const bool variance = p.name.find("running_var") != std::string::npos;
    float* d = p.tensor.data();
    for (int64_t i = 0; i < p.tensor.numel(); ++i)
      d[i] = variance ? rng.uniform(0.5f, 2.0f) : rng.uniform(-0.5f, 0.5f);
  }
}

// A model with every layer save_onnx knows.
nn::Sequential every_layer() {
  Rng init(3);
  nn::Sequential net({3, 17, 15});
  net.add(nn::Standardize()).add(nn::ZeroPad2d(1, 2, 0, 3));
  net.add(nn::Conv2d(3, 8, 3, 1, 1, true, init)).add(nn::BatchNorm2d(8, 1e-3f, 0.01f));
  net.add(nn::ReLU()).add(nn::MaxPool2d(2));
  nn::Sequential body;
  body.add(nn::Conv2d(8, 12, 3, 2, 1, false, init)).add(nn::BatchNorm2d(12)).add(nn::ReLU());
  body.add(nn::Conv2d(12, 12, 3, 1, 1, false, init)).add(nn::BatchNorm2d(12));
  net.add(nn::Residual(std::move(body), nn::Conv2d(8, 12, 1, 2, 0, false, init)));
  net.add(nn::LeakyReLU(0.2f));
  nn::Sequential same;
  same.add(nn::Conv2d(12, 12, 3, 1, 1, true, init)).add(nn::Tanh());
  net.add(nn::Residual(std::move(same)));
  // An ensemble's join: three branches, one of them the identity.
  nn::Sequential head;
  head.add(nn::Conv2d(12, 12, 3, 1, 1, false, init)).add(nn::ReLU());
  nn::Average average;
  average.add(std::move(head)).add(nn::Conv2d(12, 12, 1, 1, 0, true, init)).add(nn::Sequential());
  net.add(std::move(average));
  net.add(nn::AvgPool2d(2, 1)).add(nn::GlobalAvgPool2d()).add(nn::Flatten());
  net.add(nn::Dropout(0.3f)).add(nn::Dense(12, 4, true, init)).add(nn::Sigmoid());
  randomize(net, 11);
  net.eval();
  return net;
}

Tensor run(nn::Module& model, const Tensor& x) {
  NoGradGuard no_grad;
  model.eval();
  return model.forward(x);
}

void check_model(const std::string& path) {
  onnx::ModelProto proto;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(proto.ParseFromIstream(&in));
  REQUIRE_NOTHROW(onnx::checker::check_model(proto));
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A valid exported model, edited by `edit`, written to `name`.
std::string edited(const std::string& name, const std::function<void(onnx::ModelProto&)>& edit) {
  nn::Sequential net({2, 6, 6});
  Rng init(1);
  net.add(nn::Conv2d(2, 3, 3, 1, 1, true, init)).add(nn::ReLU()).add(nn::Flatten());
  net.add(nn::Dense(108, 1, true, init));
  const std::string path = scratch(name);
  io::save_onnx(net, {2, 6, 6}, path);
  onnx::ModelProto proto;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(proto.ParseFromIstream(&in));
  edit(proto);
  std::string bytes;
  REQUIRE(proto.SerializeToString(&bytes));
  write_bytes(path, bytes);
  return path;
}

std::string load_error(const std::string& path) {
  try {
    io::load_onnx(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("ONNX export of every layer passes onnx's checker and loads back to the same outputs",
          "[onnx]") {
  nn::Sequential net = every_layer();
  const std::string path = scratch("every_layer.onnx");
  io::save_onnx(net, {3, 17, 15}, path);
  check_model(path);

  nn::Sequential loaded = io::load_onnx(path);
  CHECK(loaded.example_shape() == Shape{3, 17, 15});
  CHECK(loaded.parameters().size() == net.parameters().size());
  Rng rng(5);
  const Tensor x = Tensor::rand({3, 3, 17, 15}, rng, -1.0f, 1.0f);
  const Tensor expected = run(net, x);
  const Tensor got = run(loaded, x);
  // The same layers in the same order with the same weights: the same floats.
  REQUIRE(got.shape() == expected.shape());
  for (int64_t i = 0; i < got.numel(); ++i) CHECK(got.data()[i] == expected.data()[i]);
}

TEST_CASE("ONNX export writes the graph glia's layers map to", "[onnx]") {
  nn::Sequential net = every_layer();
  const std::string path = scratch("ops.onnx");
  io::save_onnx(net, {3, 17, 15}, path);
  onnx::ModelProto proto;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(proto.ParseFromIstream(&in));
  REQUIRE(proto.opset_import_size() == 1);
  CHECK(proto.opset_import(0).version() == 13);
  std::vector<std::string> ops;
  for (const auto& n : proto.graph().node()) ops.push_back(n.op_type());
  const std::vector<std::string> expected{"MeanVarianceNormalization",
                                          "Pad",
                                          "Conv",
                                          "BatchNormalization",
                                          "Relu",
                                          "MaxPool",
                                          "Conv",
                                          "BatchNormalization",
                                          "Relu",
                                          "Conv",
                                          "BatchNormalization",
                                          "Conv",
                                          "Add",
                                          "LeakyRelu",
                                          "Conv",
                                          "Tanh",
                                          "Add",
                                          "Conv",
                                          "Relu",
                                          "Conv",
                                          "Mean",
                                          "AveragePool",
                                          "GlobalAveragePool",
                                          "Flatten",
                                          "Dropout",
                                          "Gemm",
                                          "Sigmoid"};
  CHECK(ops == expected);
  // Batch size left open, the rest fixed.
  const auto& dims = proto.graph().input(0).type().tensor_type().shape().dim();
  REQUIRE(dims.size() == 4);
  CHECK(dims[0].dim_param() == "N");
  CHECK(dims[3].dim_value() == 15);
  CHECK(proto.graph().output(0).name() == "output");
}

TEST_CASE("ONNX import runs a CNN exported by torch.onnx.export as PyTorch does", "[onnx]") {
  const auto golden = testing::load_golden("onnx_torch_small.txt");
  nn::Sequential net = io::load_onnx(data_file("onnx_torch_small.onnx"));
  // ZeroPad2d's pads are computed in the file (ConstantOfShape, Concat, Slice, ...): folded.
  const Tensor got = run(net, golden.at("input"));
  testing::require_close(got, golden.at("output"), 1e-5, 1e-4);
  // Residual blocks came back as residual blocks.
  int residuals = 0;
  for (size_t i = 0; i < net.size(); ++i) residuals += net[i].type_name() == "Residual";
  CHECK(residuals == 2);
  // And glia writes it back out as a valid model.
  const std::string path = scratch("torch_again.onnx");
  io::save_onnx(net, {3, 21, 19}, path);
  check_model(path);
}

TEST_CASE("ONNX export refuses what it cannot write, and leaves the old file", "[onnx]") {
  struct Custom : nn::Module {
    Tensor forward(const Tensor& x) override { return x; }
    Shape output_shape(const Shape& in) const override { return in; }
    std::string type_name() const override { return "Custom"; }
  };
  nn::Sequential net;
  net.add(nn::ReLU()).add(Custom());
  const std::string path = scratch("refused.onnx");
  write_bytes(path, "previous");
  try {
    io::save_onnx(net, {1, 4, 4}, path);
    FAIL("no error");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Catch::Contains("layer '1' (Custom)"));
  }
  CHECK(io::read_file(path) == "previous");
  // A shape the model cannot take is refused before anything is written.
  nn::Sequential conv;
  conv.add(nn::Conv2d(3, 4, 3));
  CHECK_THROWS_AS(io::save_onnx(conv, {2, 8, 8}, path), std::invalid_argument);
  CHECK(io::read_file(path) == "previous");
}

TEST_CASE("ONNX import gives clear errors for corrupt, truncated and unsupported files", "[onnx]") {
  SECTION("not protobuf") {
    const std::string path = scratch("garbage.onnx");
    write_bytes(path, std::string("\xff\xff\xff\xff garbage", 13));
    CHECK_THAT(load_error(path),
               Catch::Contains("garbage.onnx") && Catch::Contains("not an ONNX model"));
  }
  SECTION("truncated") {
    const std::string whole = io::read_file(data_file("onnx_torch_small.onnx"));
    const std::string path = scratch("truncated.onnx");
    write_bytes(path, whole.substr(0, whole.size() / 2));
    CHECK_THAT(load_error(path), Catch::Contains("truncated.onnx"));
  }
  SECTION("missing") {
    CHECK_THAT(load_error(scratch("nothing-here.onnx")), Catch::Contains("cannot read"));
  }
  SECTION("an operator glia lacks names the node and the operator") {
    const std::string path = edited("erf.onnx", [](onnx::ModelProto& m) {
      m.mutable_graph()->mutable_node(1)->set_op_type("Erf");
    });
    CHECK_THAT(load_error(path), Catch::Contains("node '1' (Erf)") &&
                                     Catch::Contains("no layer for the operator 'Erf'"));
  }
  SECTION("weights shorter than their shape") {
    const std::string path = edited("short.onnx", [](onnx::ModelProto& m) {
      auto* w = m.mutable_graph()->mutable_initializer(0);
      w->set_raw_data(w->raw_data().substr(0, 8));
    });
    CHECK_THAT(load_error(path), Catch::Contains("tensor '0.weight' holds 8 bytes"));
  }
  SECTION("weights in an external file") {
    const std::string path = edited("external.onnx", [](onnx::ModelProto& m) {
      m.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
    });
    CHECK_THAT(load_error(path), Catch::Contains("external file"));
  }
  SECTION("an attribute glia would ignore") {
    const std::string path = edited("group.onnx", [](onnx::ModelProto& m) {
      auto* conv = m.mutable_graph()->mutable_node(0);
      for (auto& a : *conv->mutable_attribute())
        if (a.name() == "group") a.set_i(2);
    });
    CHECK_THAT(load_error(path), Catch::Contains("node '0' (Conv): grouped convolution"));
  }
  SECTION("an unknown attribute") {
    const std::string path = edited("attribute.onnx", [](onnx::ModelProto& m) {
      auto* a = m.mutable_graph()->mutable_node(1)->add_attribute();
      a->set_name("inplace");
      a->set_type(onnx::AttributeProto::INT);
    });
    CHECK_THAT(load_error(path), Catch::Contains("attribute 'inplace' is not supported"));
  }
  SECTION("an operator set out of range") {
    const std::string path = edited(
        "opset.onnx", [](onnx::ModelProto& m) { m.mutable_opset_import(0)->set_version(30); });
    CHECK_THAT(load_error(path), Catch::Contains("operator set 30"));
  }
  SECTION("a cycle") {
    const std::string path = edited("cycle.onnx", [](onnx::ModelProto& m) {
      m.mutable_graph()->mutable_node(1)->set_output(0, "input");
    });
    CHECK_THAT(load_error(path), Catch::Contains("cycle.onnx"));
  }
  SECTION("a node off the path to the output") {
    const std::string path = edited("stray.onnx", [](onnx::ModelProto& m) {
      auto* n = m.mutable_graph()->add_node();
      n->set_op_type("Relu");
      n->set_name("stray");
      n->add_input("nowhere");
      n->add_output("unused");
    });
    CHECK_THAT(load_error(path), Catch::Contains("on the path from the input to the output"));
  }
  SECTION("two outputs") {
    const std::string path = edited("outputs.onnx", [](onnx::ModelProto& m) {
      *m.mutable_graph()->add_output() = m.graph().output(0);
    });
    CHECK_THAT(load_error(path), Catch::Contains("2 outputs"));
  }
  SECTION("a MeanVarianceNormalization over some axes only") {
    const std::string path = edited("mvn_axes.onnx", [](onnx::ModelProto& m) {
      auto* relu = m.mutable_graph()->mutable_node(1);  // Relu -> MVN per channel
      relu->set_op_type("MeanVarianceNormalization");
      auto* a = relu->add_attribute();
      a->set_name("axes");
      a->set_type(onnx::AttributeProto::INTS);
      for (int axis : {0, 2, 3}) a->add_ints(axis);
    });
    CHECK_THAT(load_error(path), Catch::Contains("over all its axes (axes 1 to 3)"));
  }
  SECTION("a Mean of branches whose shapes differ") {
    const std::string path = edited("mean.onnx", [](onnx::ModelProto& m) {
      auto* relu = m.mutable_graph()->mutable_node(1);  // Relu(conv) -> Mean(conv, input)
      relu->set_op_type("Mean");
      relu->add_input("input");
    });
    CHECK_THAT(load_error(path), Catch::Contains("mean.onnx") && Catch::Contains("branch 1 gives"));
  }
  SECTION("a file over the size limit") {
    io::OnnxLoadOptions small;
    small.max_file_bytes = 100;
    CHECK_THROWS_WITH(io::load_onnx(data_file("onnx_torch_small.onnx"), small),
                      Catch::Contains("over the limit of 100"));
  }
}
