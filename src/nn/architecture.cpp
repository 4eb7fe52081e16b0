// A model's architecture as JSON, from and to the layer registry (nn/layer_registry.hpp):
// {"type": T, <attributes in order>, <child slots in order>}.
#include "glia/nn/architecture.hpp"

#include <nlohmann/json.hpp>

#include "glia/nn/layer_registry.hpp"

namespace glia::nn {
namespace {

using json = nlohmann::ordered_json;

constexpr int kMaxDepth = 64;            // nested containers
constexpr size_t kMaxLayers = 100000;    // children in one slot
constexpr size_t kMaxListAttribute = 8;  // values in a list attribute (a shape)

json to_json(const Attributes::Value& v) {
  return std::visit([](const auto& x) { return json(x); }, v);
}

std::optional<json> describe(const Module& m) {
  const LayerType* type = find_layer_type(m);
  if (!type) return std::nullopt;
  json out{{"type", type->name}};
  if (type->attributes) {
    const Attributes attributes = type->attributes(m);
    for (const auto& [name, value] : attributes.items()) out[name] = to_json(value);
  }
  if (type->slots.empty()) return out;
  const Children children = type->children(m);
  for (size_t s = 0; s < type->slots.size(); ++s) {
    const ChildSlot& slot = type->slots[s];
    if (slot.count == ChildSlot::Count::list) {
      json list = json::array();
      for (const auto& child : children[s]) {
        std::optional<json> d = describe(*child);
        if (!d) return std::nullopt;
        list.push_back(*d);
      }
      out[slot.name] = list;
    } else if (!children[s].empty()) {
      std::optional<json> d = describe(*children[s][0]);
      if (!d) return std::nullopt;
      out[slot.name] = *d;
    }
  }
  return out;
}

// Reads a description with every field checked before use, and nothing allocated beyond the
// budget of floats.
class Builder {
 public:
  explicit Builder(int64_t max_parameters) : budget_(max_parameters) {}

  std::shared_ptr<Module> build(const json& d, int depth) {
    check(depth <= kMaxDepth, "containers are nested more than ", kMaxDepth, " deep");
    check(d.is_object(), "a layer must be a JSON object");
    check(d.contains("type") && d.at("type").is_string(), "missing string field 'type'");
    const std::string name = d.at("type").get<std::string>();
    const LayerType* type = find_layer_type(name);
    check(type != nullptr, "unknown layer type '", name, "'");
    Attributes attributes;
    for (const auto& [key, value] : d.items()) {
      if (key == "type" || is_slot(*type, key)) continue;
      attributes.set(key, attribute(key, value));
    }
    Children children(type->slots.size());
    for (size_t s = 0; s < type->slots.size(); ++s) {
      const ChildSlot& slot = type->slots[s];
      if (!d.contains(slot.name)) {
        check(slot.count != ChildSlot::Count::one, name, " needs a '", slot.name, "'");
        check(slot.count != ChildSlot::Count::list, name, " needs a list '", slot.name, "'");
        continue;
      }
      const json& given = d.at(slot.name);
      if (slot.count == ChildSlot::Count::list) {
        check(given.is_array(), name, " needs a list '", slot.name, "'");
        check(given.size() <= kMaxLayers, "too many layers in '", slot.name, "'");
        for (const json& child : given) children[s].push_back(build(child, depth + 1));
      } else {
        children[s].push_back(build(given, depth + 1));
      }
    }
    try {
      if (type->tensor_shapes) spend(type->tensor_shapes(attributes));
      return type->build(attributes, std::move(children));
    } catch (const std::invalid_argument& e) {
      fail("layer '", name, "': ", e.what());
    }
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
  static bool is_slot(const LayerType& type, const std::string& key) {
    for (const ChildSlot& slot : type.slots)
      if (slot.name == key) return true;
    return false;
  }
  static Attributes::Value attribute(const std::string& key, const json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_number()) return v.get<double>();
    check(v.is_array() && v.size() <= kMaxListAttribute, "field '", key,
          "' is not a number, true/false or a short list of whole numbers");
    std::vector<int64_t> list;
    for (const json& e : v) {
      check(e.is_number_integer(), "field '", key, "' holds something other than whole numbers");
      list.push_back(e.get<int64_t>());
    }
    return list;
  }
  // Counts a layer's tensors against the budget before they are allocated.
  void spend(const std::vector<Shape>& shapes) {
    for (const Shape& shape : shapes) {
      int64_t n = 1;
      for (int64_t e : shape) {
        check(e >= 1 && n <= budget_ / e, "the model holds more parameters than its file");
        n *= e;
      }
      check(n <= budget_, "the model holds more parameters than its file");
      budget_ -= n;
    }
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
