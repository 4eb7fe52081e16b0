// check_layer: the one generic layer test (in the spirit of dlib's test_layer), run on every
// layer. For a module and an input shape it checks that
//   - output_shape() gives forward()'s shape, in training and in eval mode;
//   - autograd's gradients of the input and of every parameter match finite differences
//     (check_gradients), in training and in eval mode;
//   - the input it is given is left alone, unless the layer works in place (ReLU(in_place));
//   - eval mode is a pure function: two calls agree and leave the buffers alone;
//   - a checkpoint round trip restores every parameter and buffer after they were changed;
//   - a copy (clone()) computes what the layer computes and owns its tensors: changing them
//     leaves the layer alone (a module without clone() says so when asked for one);
//   - its registered layer type (nn/layer_registry.hpp) describes it, and the description
//     builds a model that, given the layer's state, computes the same; and where the type maps
//     to ONNX (and the test binary links glia::onnx: GLIA_TEST_ONNX), an export read back by
//     load_onnx computes the same. A module with no registered type is said to have none.
#pragma once

#include <unistd.h>
#include <cstring>
#include <filesystem>

#include "golden_file.hpp"
#include "gradcheck.hpp"

#ifdef GLIA_TEST_ONNX
#include <glia/io/onnx.hpp>
#endif

namespace glia::testing {

inline bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())) == 0;
}

inline std::vector<Tensor> copies(const std::vector<Tensor>& tensors) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.clone());
  return out;
}

inline void check_layer(nn::Module& layer, const Shape& input_shape, uint64_t seed = 1) {
  const auto* relu = dynamic_cast<const nn::ReLU*>(&layer);
  const bool in_place = relu && relu->is_in_place();  // the one built-in in-place layer
  Rng rng(seed);
  // Distinct values away from zero: no ties for pooling, no kinks of relu within a step.
  Tensor x = distinct_values(input_shape, rng,
                             0.37f / static_cast<float>(shape_numel(input_shape)) + 0.013f);

  for (bool training : {true, false}) {
    INFO("check_layer: " << layer.type_name() << " on " << shape_str(input_shape) << ", "
                         << (training ? "training" : "eval") << " mode");
    layer.train(training);
    {
      NoGradGuard no_grad;
      const Tensor given = x.clone();
      const Tensor y = layer.forward(given);
      CHECK(layer.output_shape(input_shape) == y.shape());
      if (!in_place) CHECK(same_bits(given, x));
    }
    std::vector<Tensor> inputs{x.clone().requires_grad(true)};
    for (const Tensor& p : layer.parameters()) inputs.push_back(p);
    // In-place layers refuse a leaf: they get the input through an op, as inside a model.
    check_gradients(
        [&](const std::vector<Tensor>& in) { return layer.forward(in_place ? in[0] * 1.0f : in[0]); },
        inputs);
  }

  // Eval mode: a pure function of the input.
  layer.eval();
  const std::vector<Tensor> buffers_before = copies(layer.buffers());
  Tensor first, second;
  {
    NoGradGuard no_grad;
    first = layer.forward(x.clone()).clone();
    second = layer.forward(x.clone());
  }
  CHECK(same_bits(first, second));
  const std::vector<Tensor> buffers_after = layer.buffers();
  for (size_t i = 0; i < buffers_after.size(); ++i) {
    CHECK(same_bits(buffers_before[i], buffers_after[i]));
  }

  // A copy: the same function, its own tensors.
  std::shared_ptr<nn::Module> copy;
  try {
    copy = layer.clone();
  } catch (const std::logic_error& e) {  // a user's module without clone(): said so
    CHECK_THAT(e.what(), Catch::Contains("does not implement clone()"));
  }
  if (copy) {
    copy->eval();
    {
      NoGradGuard no_grad;
      CHECK(same_bits(copy->forward(x.clone()), first));
    }
    const std::vector<Tensor> mine = layer.parameters(), theirs = copy->parameters();
    REQUIRE(mine.size() == theirs.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      CHECK_FALSE(mine[i].shares_storage_with(theirs[i]));
      CHECK(theirs[i].requires_grad() == mine[i].requires_grad());
    }
    for (const Tensor& t : copy->parameters()) {
      Tensor w = t;
      as_array(w) += 0.25f;
    }
    NoGradGuard no_grad;
    CHECK(same_bits(layer.forward(x.clone()), first));
  }

  // Checkpoint round trip: save, scribble over the state, load, compare.
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("glia_check_layer_" + std::to_string(::getpid()) + ".glia"))
                               .string();
  const std::vector<NamedTensor> state = layer.named_state();
  std::vector<Tensor> saved;
  for (const NamedTensor& s : state) saved.push_back(s.tensor.clone());
  io::save(layer, path);
  for (const NamedTensor& s : state) {
    Tensor t = s.tensor;
    as_array(t) += 1.5f;
  }
  io::load(layer, path);
  std::filesystem::remove(path);
  for (size_t i = 0; i < state.size(); ++i) {
    INFO("state tensor " << state[i].name);
    CHECK(same_bits(state[i].tensor, saved[i]));
  }

  // Architecture round trip, through the registry.
  const nn::LayerType* type = nn::find_layer_type(layer);
  if (!type) {
    CHECK_FALSE(nn::describe_architecture(layer).has_value());
    return;
  }
  INFO("check_layer: " << type->name << " described and rebuilt");
  const std::optional<std::string> description = nn::describe_architecture(layer);
  REQUIRE(description.has_value());
  const std::shared_ptr<nn::Module> rebuilt = nn::build_architecture(*description, int64_t{1} << 40);
  CHECK(nn::describe_architecture(*rebuilt) == description);
  const std::vector<NamedTensor> mine = layer.named_state(), theirs = rebuilt->named_state();
  REQUIRE(mine.size() == theirs.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    REQUIRE(mine[i].name == theirs[i].name);
    REQUIRE(mine[i].tensor.shape() == theirs[i].tensor.shape());
    Tensor target = theirs[i].tensor;
    as_array(target) = as_array(mine[i].tensor);
  }
  rebuilt->eval();
  {
    NoGradGuard no_grad;
    CHECK(same_bits(rebuilt->forward(x.clone()), first));
  }
#ifdef GLIA_TEST_ONNX
  if (!type->to_onnx) return;
  INFO("check_layer: " << type->name << " exported to ONNX and read back");
  const std::string onnx_path = path + ".onnx";
  io::save_onnx(layer, Shape(input_shape.begin() + 1, input_shape.end()), onnx_path);
  nn::Sequential read_back = io::load_onnx(onnx_path);
  std::filesystem::remove(onnx_path);
  read_back.eval();
  NoGradGuard no_grad;
  require_close(read_back.forward(x.clone()), first, 1e-6, 1e-5);
#endif
}

}  // namespace glia::testing
