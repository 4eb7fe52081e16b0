// The layer registry: one table of LayerType, filled with glia's own layers on first use
// (builtin_layers.cpp) and by register_layer() for anyone else's.
#include "glia/nn/layer_registry.hpp"

#include <cmath>
#include <map>
#include <mutex>

namespace glia::nn {

namespace {

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<LayerType>> types;  // stable addresses, registration order
  std::map<std::string, const LayerType*> by_name, by_onnx_op;
  std::map<std::type_index, const LayerType*> by_type;
};

Registry& registry_storage() {
  static Registry r;
  return r;
}

// The registry with glia's layers in it (registered once, before anyone else's lookup).
Registry& registry() {
  static std::once_flag builtins;
  std::call_once(builtins, detail::register_builtin_layers);
  return registry_storage();
}

const char* kind_of(const Attributes::Value& v) {
  switch (v.index()) {
    case 0: return "a whole number";
    case 1: return "a number";
    case 2: return "true or false";
    default: return "a list of whole numbers";
  }
}

[[noreturn]] void bad_attribute(const std::string& name, const std::string& what) {
  throw std::invalid_argument("attribute '" + name + "' " + what);
}

}  // namespace

Attributes& Attributes::set(const std::string& name, Value value) {
  for (auto& [key, v] : items_) {
    if (key == name) {
      v = std::move(value);
      return *this;
    }
  }
  items_.emplace_back(name, std::move(value));
  return *this;
}

const Attributes::Value* Attributes::find(const std::string& name) const {
  for (const auto& [key, v] : items_)
    if (key == name) return &v;
  return nullptr;
}

int64_t Attributes::integer(const std::string& name, int64_t min, int64_t max) const {
  const Value* v = find(name);
  if (!v) bad_attribute(name, "is missing (a whole number)");
  const int64_t* i = std::get_if<int64_t>(v);
  if (!i) bad_attribute(name, concat("is ", kind_of(*v), ", not a whole number"));
  if (*i < min || *i > max) bad_attribute(name, concat("is ", *i, ", outside [", min, ", ", max, "]"));
  return *i;
}

int64_t Attributes::integer(const std::string& name, int64_t min, int64_t max,
                            int64_t fallback) const {
  return has(name) ? integer(name, min, max) : fallback;
}

double Attributes::real(const std::string& name, double min, double max) const {
  const Value* v = find(name);
  if (!v) bad_attribute(name, "is missing (a number)");
  double r;
  if (const double* d = std::get_if<double>(v)) {
    r = *d;
  } else if (const int64_t* i = std::get_if<int64_t>(v)) {
    r = static_cast<double>(*i);
  } else {
    bad_attribute(name, concat("is ", kind_of(*v), ", not a number"));
  }
  if (!std::isfinite(r)) bad_attribute(name, "is not finite");
  if (r < min || r > max) bad_attribute(name, concat("is ", r, ", outside [", min, ", ", max, "]"));
  return r;
}

double Attributes::real(const std::string& name, double min, double max, double fallback) const {
  return has(name) ? real(name, min, max) : fallback;
}

bool Attributes::flag(const std::string& name, bool fallback) const {
  const Value* v = find(name);
  if (!v) return fallback;
  const bool* b = std::get_if<bool>(v);
  if (!b) bad_attribute(name, concat("is ", kind_of(*v), ", not true or false"));
  return *b;
}

std::vector<int64_t> Attributes::integers(const std::string& name, int64_t min, int64_t max,
                                         size_t max_count) const {
  const Value* v = find(name);
  if (!v) bad_attribute(name, "is missing (a list of whole numbers)");
  const auto* list = std::get_if<std::vector<int64_t>>(v);
  if (!list) bad_attribute(name, concat("is ", kind_of(*v), ", not a list of whole numbers"));
  if (list->size() > max_count) bad_attribute(name, concat("has more than ", max_count, " values"));
  for (int64_t i : *list)
    if (i < min || i > max) bad_attribute(name, concat("holds ", i, ", outside [", min, ", ", max, "]"));
  return *list;
}

namespace {

void add_layer_type(Registry& r, LayerType type) {
  check_arg(!type.name.empty() && type.type != std::type_index(typeid(void)), "register_layer",
            "a layer type needs a name and a C++ type");
  check_arg(static_cast<bool>(type.build), "register_layer", "layer type '", type.name,
            "' has no build function");
  check_arg(type.slots.empty() || static_cast<bool>(type.children), "register_layer",
            "container type '", type.name, "' has slots but no children function");
  check_arg(type.onnx_ops.empty() || static_cast<bool>(type.from_onnx), "register_layer",
            "layer type '", type.name, "' names ONNX operators but has no from_onnx");
  std::lock_guard<std::mutex> lock(r.mutex);
  check_arg(!r.by_name.count(type.name), "register_layer", "a layer type named '", type.name,
            "' is registered already");
  check_arg(!r.by_type.count(type.type), "register_layer", "the C++ type of '", type.name,
            "' is registered already, as '",
            r.by_type.count(type.type) ? r.by_type.at(type.type)->name : "", "'");
  for (const std::string& op : type.onnx_ops)
    check_arg(!r.by_onnx_op.count(op), "register_layer", "ONNX operator '", op,
              "' is read by layer type '", r.by_onnx_op.count(op) ? r.by_onnx_op.at(op)->name : "",
              "' already");
  r.types.push_back(std::make_unique<LayerType>(std::move(type)));
  const LayerType* t = r.types.back().get();
  r.by_name[t->name] = t;
  r.by_type[t->type] = t;
  for (const std::string& op : t->onnx_ops) r.by_onnx_op[op] = t;
}

}  // namespace

void detail::add_builtin_layer(LayerType type) {
  add_layer_type(registry_storage(), std::move(type));
}

void register_layer(LayerType type) {
  add_layer_type(registry(), std::move(type));  // after glia's own
}

const LayerType* find_layer_type(const Module& module) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_type.find(std::type_index(typeid(module)));
  return it == r.by_type.end() ? nullptr : it->second;
}

const LayerType* find_layer_type(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : it->second;
}

const LayerType* find_onnx_operator(const std::string& op) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.by_onnx_op.find(op);
  return it == r.by_onnx_op.end() ? nullptr : it->second;
}

std::vector<const LayerType*> layer_types() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<const LayerType*> out;
  for (const auto& t : r.types) out.push_back(t.get());
  return out;
}

}  // namespace glia::nn
