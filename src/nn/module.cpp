#include "glia/nn/module.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <iomanip>
#include <ostream>

#include "glia/autograd/grad_mode.hpp"

namespace glia::nn {
namespace {

void collect(const Module& m, const std::string& prefix, bool parameters,
             const std::vector<NamedTensor>& own, std::vector<NamedTensor>& out) {
  for (const NamedTensor& t : own) out.push_back({prefix + t.name, t.tensor});
  for (const NamedModule& child : m.named_children()) {
    const std::vector<NamedTensor> theirs =
        parameters ? child.module->named_parameters() : child.module->named_buffers();
    for (const NamedTensor& t : theirs)
      out.push_back({prefix + child.name + "." + t.name, t.tensor});
  }
}

std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

Module::Module(const Module& other) : Module() {
  *this = other;
}

Module& Module::operator=(const Module& other) {
  if (this == &other) return *this;
  training_ = other.training_;
  parameters_.clear();
  buffers_.clear();
  children_.clear();
  for (const NamedTensor& p : other.parameters_) {
    Tensor copy = p.tensor.clone();
    copy.requires_grad(p.tensor.requires_grad());
    parameters_.push_back({p.name, copy});
  }
  for (const NamedTensor& b : other.buffers_) buffers_.push_back({b.name, b.tensor.clone()});
  for (const NamedModule& c : other.children_) children_.push_back({c.name, c.module->clone()});
  return *this;
}

std::shared_ptr<Module> Module::clone() const {
  throw std::logic_error("glia::nn::Module::clone: " + type_name() +
                         " cannot be copied: it does not implement clone() (derive it from "
                         "nn::Cloneable<" +
                         type_name() + ">, or share it by std::shared_ptr)");
}

Shape Module::output_shape(const Shape& input) const {
  // forward() is not const: the module is put in eval mode for the trace and restored after.
  Module& self = const_cast<Module&>(*this);
  const bool was_training = training_;
  self.train(false);
  Shape out;
  try {
    NoGradGuard no_grad;
    out = self.forward(Tensor::zeros(input)).shape();
  } catch (...) {
    self.train(was_training);
    throw;
  }
  self.train(was_training);
  return out;
}

std::string Module::type_name() const {
  const char* mangled = typeid(*this).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  const size_t colon = name.rfind("::");
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

std::vector<NamedTensor> Module::named_parameters() const {
  std::vector<NamedTensor> out;
  collect(*this, "", true, parameters_, out);
  return out;
}

std::vector<NamedTensor> Module::named_buffers() const {
  std::vector<NamedTensor> out;
  collect(*this, "", false, buffers_, out);
  return out;
}

std::vector<NamedTensor> Module::named_state() const {
  std::vector<NamedTensor> state = named_parameters();
  for (NamedTensor& b : named_buffers()) state.push_back(std::move(b));
  return state;
}

void Module::train(bool on) {
  training_ = on;
  for (NamedModule& child : children_) child.module->train(on);
  on_train(on);
}

void Module::check_new_name(const std::string& name) const {
  check_arg(!name.empty() && name.find('.') == std::string::npos, "Module::register", "name '",
            name, "' must be non-empty and hold no '.'");
  for (const auto* list : {&parameters_, &buffers_}) {
    for (const NamedTensor& t : *list) {
      check_arg(t.name != name, "Module::register", "name '", name, "' is already registered");
    }
  }
  for (const NamedModule& c : children_) {
    check_arg(c.name != name, "Module::register", "name '", name, "' is already registered");
  }
}

Tensor Module::register_parameter(std::string name, Tensor tensor) {
  check_new_name(name);
  check_arg(tensor.defined(), "Module::register_parameter", "'", name, "' is undefined");
  if (!tensor.requires_grad()) tensor.requires_grad(true);
  parameters_.push_back({std::move(name), tensor});
  return tensor;
}

Tensor Module::register_buffer(std::string name, Tensor tensor) {
  check_new_name(name);
  check_arg(tensor.defined(), "Module::register_buffer", "'", name, "' is undefined");
  buffers_.push_back({std::move(name), tensor});
  return tensor;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  check_new_name(name);
  check_arg(module != nullptr, "Module::register_module", "'", name, "' is null");
  check_arg(module.get() != this, "Module::register_module", "a module cannot hold itself");
  module->train(training_);
  children_.push_back({std::move(name), std::move(module)});
}

std::shared_ptr<Module> Module::unregister_last_module() {
  check_arg(!children_.empty(), "Module::unregister_last_module", "no children");
  std::shared_ptr<Module> last = std::move(children_.back().module);
  children_.pop_back();
  return last;
}

std::vector<Tensor> Module::tensors_of(const std::vector<NamedTensor>& named) {
  std::vector<Tensor> out;
  out.reserve(named.size());
  for (const NamedTensor& n : named) out.push_back(n.tensor);
  return out;
}

int64_t Module::count(const std::vector<NamedTensor>& named) {
  int64_t total = 0;
  for (const NamedTensor& n : named) total += n.tensor.numel();
  return total;
}

void Module::summary(std::ostream& out, const Shape& input) const {
  const int kName = 30, kShape = 24;
  const std::string rule(kName + kShape + 12, '_'), double_rule(kName + kShape + 12, '=');
  auto shape_text = [](const Shape& s) {
    std::string text = "(None";
    for (size_t d = 1; d < s.size(); ++d) text += ", " + std::to_string(s[d]);
    return text + ")";
  };
  out << "Model: \"" << type_name() << "\"\n"
      << rule << "\n"
      << std::left << std::setw(kName) << "Layer (type)" << std::setw(kShape) << "Output Shape"
      << "Param #\n"
      << double_rule << "\n";
  // One row per child, or one for the module itself when it has none. The children of a chain
  // (Sequential) each take the previous one's output, so their shapes follow one another;
  // other modules wire their children in their own forward(), so only the result is shown.
  std::vector<std::pair<std::string, const Module*>> rows;
  for (const NamedModule& c : children_) rows.push_back({c.name, c.module.get()});
  if (rows.empty()) rows.push_back({"0", this});
  const bool chain = children_form_a_chain() || children_.empty();
  Shape shape = input;
  for (size_t i = 0; i < rows.size(); ++i) {
    const Module& layer = *rows[i].second;
    std::string text = input.empty() ? "?" : "";
    if (!input.empty() && chain) {
      shape = layer.output_shape(shape);
      text = shape_text(shape);
    }
    out << std::setw(kName) << (rows[i].first + " (" + layer.type_name() + ")") << std::setw(kShape)
        << text << with_commas(layer.parameter_count() + layer.buffer_count()) << "\n";
    out << (i + 1 < rows.size() ? rule : double_rule) << "\n";
  }
  if (!input.empty() && !chain) out << "Output shape: " << shape_text(output_shape(input)) << "\n";
  const int64_t trainable = parameter_count(), frozen = buffer_count();
  out << "Total params: " << with_commas(trainable + frozen) << "\n"
      << "Trainable params: " << with_commas(trainable) << "\n"
      << "Non-trainable params: " << with_commas(frozen) << "\n"
      << rule << "\n";
}

}  // namespace glia::nn
