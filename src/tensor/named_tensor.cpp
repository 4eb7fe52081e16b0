#include "glia/tensor/named_tensor.hpp"

#include <cstring>
#include <map>

namespace glia {

void copy_named_tensors(const std::vector<NamedTensor>& from, const std::vector<NamedTensor>& to,
                        const char* what) {
  std::map<std::string, const Tensor*> by_name;
  for (const NamedTensor& f : from) {
    check_arg(by_name.emplace(f.name, &f.tensor).second, what, "tensor '", f.name,
              "' appears twice");
  }
  for (const NamedTensor& t : to) {
    auto it = by_name.find(t.name);
    check_arg(it != by_name.end(), what, "missing tensor '", t.name, "'");
    check_arg(it->second->shape() == t.tensor.shape(), what, "tensor '", t.name, "' has shape ",
              shape_str(it->second->shape()), ", expected ", shape_str(t.tensor.shape()));
  }
  if (from.size() != to.size()) {
    std::map<std::string, bool> expected;
    for (const NamedTensor& t : to) expected[t.name] = true;
    for (const NamedTensor& f : from) {
      check_arg(expected.count(f.name) > 0, what, "unexpected tensor '", f.name, "'");
    }
  }
  for (const NamedTensor& t : to) {
    const Tensor& source = *by_name[t.name];
    Tensor target = t.tensor;
    if (source.numel()) {
      std::memcpy(target.data(), source.data(),
                  sizeof(float) * static_cast<size_t>(source.numel()));
    }
  }
}

}  // namespace glia
