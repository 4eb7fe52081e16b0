// check_layer on every layer glia has, and on containers and a user-defined module.
#include "check_layer.hpp"
#include "temp_dir.hpp"

using namespace glia;
using glia::testing::check_layer;

TEST_CASE("layers: every built-in layer passes check_layer") {
  manual_seed(5);
  SECTION("Conv2d") {
    nn::Conv2d conv(3, 4, 3, 2, 1);
    check_layer(conv, {2, 3, 7, 6});
  }
  SECTION("Conv2d without bias") {
    nn::Conv2d conv(2, 3, 1);
    check_layer(conv, {2, 2, 3, 5});
  }
  SECTION("BatchNorm2d") {
    nn::BatchNorm2d bn(3, 1e-5f, 0.1f);
    check_layer(bn, {4, 3, 2, 3});
  }
  SECTION("Dense") {
    nn::Dense dense(6, 4);
    check_layer(dense, {3, 6});
  }
  SECTION("ReLU(in_place)") {
    nn::ReLU layer(nn::in_place);
    check_layer(layer, {2, 3, 4, 5});
  }
  SECTION("ReLU") {
    nn::ReLU layer;
    check_layer(layer, {2, 3, 4});
  }
  SECTION("LeakyReLU") {
    nn::LeakyReLU layer(0.2f);
    check_layer(layer, {2, 7});
  }
  SECTION("Tanh") {
    nn::Tanh layer;
    check_layer(layer, {3, 5});
  }
  SECTION("Sigmoid") {
    nn::Sigmoid layer;
    check_layer(layer, {3, 5});
  }
  SECTION("MaxPool2d") {
    nn::MaxPool2d layer(3, 2);
    check_layer(layer, {2, 2, 7, 8});
  }
  SECTION("AvgPool2d") {
    nn::AvgPool2d layer(2);
    check_layer(layer, {2, 2, 5, 6});
  }
  SECTION("GlobalAvgPool2d") {
    nn::GlobalAvgPool2d layer;
    check_layer(layer, {2, 3, 4, 5});
  }
  SECTION("ZeroPad2d") {
    nn::ZeroPad2d layer(1, 2, 0, 3);
    check_layer(layer, {1, 2, 3, 4});
  }
  SECTION("Standardize") {
    nn::Standardize layer;
    check_layer(layer, {2, 3, 4, 3});
  }
  SECTION("Flatten") {
    nn::Flatten layer;
    check_layer(layer, {2, 3, 2, 2});
  }
  SECTION("Dropout (a fixed mask per call: the generator is reseeded)") {
    // Training draws a new mask per call, so the gradient check would see a different
    // function each time: this wrapper reseeds the layer's generator before every call.
    struct SeededDropout : nn::Module {
      Rng rng{3};
      std::shared_ptr<nn::Dropout> dropout;
      SeededDropout() {
        dropout = register_module("dropout", std::make_shared<nn::Dropout>(0.4f, rng));
      }
      Tensor forward(const Tensor& x) override {
        rng.reseed(3);
        return dropout->forward(x);
      }
    } layer;
    check_layer(layer, {3, 8});
  }
  SECTION("Sequential") {
    nn::Sequential net;
    net.add(nn::Conv2d(2, 3, 3, 1, 1))
        .add(nn::BatchNorm2d(3))
        .add(nn::ReLU())
        .add(nn::MaxPool2d(2));
    net.add(nn::Flatten()).add(nn::Dense(3 * 2 * 2, 2));
    check_layer(net, {2, 2, 4, 5});
  }
  SECTION("Residual with identity and with a strided 1x1 shortcut") {
    nn::Sequential body;
    body.add(nn::Conv2d(3, 3, 3, 1, 1)).add(nn::BatchNorm2d(3)).add(nn::Tanh());
    nn::Residual identity(std::move(body));
    check_layer(identity, {2, 3, 4, 4});
    nn::Sequential strided_body;
    strided_body.add(nn::Conv2d(2, 4, 3, 2, 1)).add(nn::BatchNorm2d(4));
    nn::Residual projected(std::move(strided_body), nn::Conv2d(2, 4, 1, 2, 0, false));
    check_layer(projected, {2, 2, 5, 5});
  }
  SECTION("Average of three branches, one of them the identity") {
    nn::Sequential conv;
    conv.add(nn::Conv2d(2, 2, 3, 1, 1)).add(nn::BatchNorm2d(2)).add(nn::ReLU());
    nn::Average average;
    average.add(std::move(conv)).add(nn::Conv2d(2, 2, 1)).add(nn::Sequential());
    check_layer(average, {2, 2, 4, 3});
  }
}

TEST_CASE("layers: Average is the mean of its branches and refuses branches that disagree") {
  manual_seed(4);
  nn::Average average;
  auto a = std::make_shared<nn::Dense>(3, 2), b = std::make_shared<nn::Dense>(3, 2);
  average.add(a).add(b);
  Rng rng(2);
  const Tensor x = Tensor::randn({4, 3}, rng);
  const Tensor y = average.forward(x), ya = a->forward(x), yb = b->forward(x);
  for (int64_t i = 0; i < y.numel(); ++i)
    CHECK(y.data()[i] == Approx(0.5f * (ya.data()[i] + yb.data()[i])).epsilon(1e-6));
  CHECK(average.size() == 2);
  CHECK(average.named_parameters()[2].name == "1.weight");
  average.add(nn::Dense(3, 5));
  CHECK_THROWS_WITH(average.output_shape({4, 3}), Catch::Contains("branch 2 gives {4, 5}"));
  nn::Average empty;
  CHECK_THROWS_WITH(empty.forward(x), Catch::Contains("no branches"));
}

// A module written as a user would: parameters, a buffer and children registered by hand, and
// its own forward().
class ScaledMlp : public nn::Module {
 public:
  ScaledMlp() {
    fc1_ = register_module("fc1", std::make_shared<nn::Dense>(4, 6));
    fc2_ = register_module("fc2", std::make_shared<nn::Dense>(6, 2));
    scale_ = register_parameter("scale", Tensor::full({2}, 0.5f));
    calls_ = register_buffer("calls", Tensor::zeros({1}));
  }
  Tensor forward(const Tensor& x) override {
    if (is_training()) calls_.data()[0] += 1.0f;  // state that is saved, not trained
    return fc2_->forward(glia::tanh(fc1_->forward(x))) * scale_;
  }

 private:
  std::shared_ptr<nn::Dense> fc1_, fc2_;
  Tensor scale_, calls_;
};

TEST_CASE(
    "layers: a user-defined Module gets parameters, buffers, modes, checkpoints and a summary") {
  manual_seed(2);
  ScaledMlp m;
  std::vector<std::string> names;
  for (const NamedTensor& p : m.named_parameters()) names.push_back(p.name);
  CHECK(names ==
        std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(m.named_buffers().size() == 1);
  CHECK(m.parameter_count() == 2 + 4 * 6 + 6 + 6 * 2 + 2);
  CHECK(m.type_name() == "ScaledMlp");
  m.eval();
  CHECK_FALSE(m.named_children()[0].module->is_training());  // eval() reaches the children
  m.train();
  check_layer(m, {3, 4});
  CHECK(m.output_shape({5, 4}) == Shape{5, 2});  // traced: the default output_shape
  std::ostringstream summary;
  m.summary(summary, {1, 4});
  CHECK_THAT(summary.str(), Catch::Contains("fc1 (Dense)"));
  CHECK_THAT(summary.str(), Catch::Contains("Output shape: (None, 2)"));
  CHECK_THAT(summary.str(), Catch::Contains("Total params: 47"));
  // Names must be unique and plain.
  struct Bad : nn::Module {
    Bad() {
      register_parameter("w", Tensor::zeros({1}));
      register_parameter("w", Tensor::zeros({1}));
    }
    Tensor forward(const Tensor& x) override { return x; }
  };
  CHECK_THROWS_WITH(Bad(), Catch::Contains("'w' is already registered"));
}

// The "add a layer" walk-through of docs/architecture.md, done by a user: a layer the library
// does not know, registered once, then saved with its architecture, rebuilt without its code,
// exported to ONNX and read back, like a built-in layer.
class Power : public nn::Cloneable<Power> {  // x^n elementwise, n = 1..8
 public:
  explicit Power(int64_t exponent) : exponent_(exponent) {
    check_arg(exponent >= 1 && exponent <= 8, "Power", "exponent must be 1 to 8, got ", exponent);
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (int64_t i = 1; i < exponent_; ++i) y = y * x;
    return y;
  }
  Shape output_shape(const Shape& in) const override { return in; }
  int64_t exponent() const { return exponent_; }

 private:
  int64_t exponent_;
};

void register_power() {
  nn::LayerType power;
  power.name = "Power";
  power.attribute_names = {"exponent"};
  power.attributes = [](const nn::Module& m) {
    return nn::Attributes().set("exponent", static_cast<const Power&>(m).exponent());
  };
  power.build = [](const nn::Attributes& a, nn::Children) {
    return std::make_shared<Power>(a.integer("exponent", 1, 8));
  };
  power.to_onnx = [](const nn::Module& m, nn::OnnxGraphWriter& w, const nn::OnnxSite& at) {
    const float n = static_cast<float>(static_cast<const Power&>(m).exponent());
    return w.node("Pow", at, {at.input, w.scalar(at.path + ".exponent", n)});
  };
  power.onnx_ops = {"Pow"};
  power.from_onnx = [](nn::OnnxNodeReader& node) {
    node.inputs(2, 2);
    node.done();
    const nn::OnnxConstant& n = node.weights(1);
    node.expect(n.floats.size() == 1 && n.floats[0] == std::round(n.floats[0]) &&
                    n.floats[0] >= 1 && n.floats[0] <= 8,
                "glia's Power raises to a whole exponent from 1 to 8");
    return std::vector<std::shared_ptr<nn::Module>>{
        std::make_shared<Power>(static_cast<int64_t>(n.floats[0]))};
  };
  nn::register_layer<Power>(power);
}

TEST_CASE("layers: a user's layer registers once, then saves, loads and exports like glia's own") {
  static const bool registered = (register_power(), true);
  CHECK(registered);
  CHECK_THROWS_WITH(register_power(), Catch::Contains("'Power' is registered already"));
  Power cube(3);
  check_layer(cube, {2, 3, 4});  // includes the architecture and ONNX round trips
  const nn::LayerType* type = nn::find_layer_type(cube);
  REQUIRE(type != nullptr);
  CHECK(type->name == "Power");
  CHECK(nn::find_onnx_operator("Pow") == type);

  manual_seed(4);
  nn::Sequential net({4});
  net.add(nn::Dense(4, 3)).add(Power(2)).add(nn::Dense(3, 1));
  testing::TempDir dir("glia_layers");
  io::save(net, dir.file("net.glia"));
  const std::shared_ptr<nn::Module> loaded = io::load_model(dir.file("net.glia"));
  auto* chain = dynamic_cast<nn::Sequential*>(loaded.get());
  REQUIRE(chain != nullptr);
  REQUIRE(chain->layer_as<Power>(1) != nullptr);
  CHECK(chain->layer_as<Power>(1)->exponent() == 2);
  Rng rng(3);
  const Tensor x = Tensor::rand({5, 4}, rng, -1, 1);
  NoGradGuard no_grad;
  CHECK(testing::same_bits(loaded->forward(x), net.forward(x)));
}
