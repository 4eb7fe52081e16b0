// Reading a Keras 2 HDF5 file's model_config and model_weights with libhdf5.
#include <hdf5.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "keras_file.hpp"

namespace glia::io::keras {
namespace {

// Closes an HDF5 handle when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// An attribute holding one string (fixed-length or variable-length, as h5py and Keras write).
std::string read_string_attribute(hid_t object, const char* name, const std::string& path,
                                  size_t max_bytes) {
  if (H5Aexists(object, name) <= 0)
    fail(path, std::string("no '") + name + "' attribute (not a Keras model file?)");
  Handle attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!attribute.ok() || !type.ok() || !space.ok())
    fail(path, std::string("cannot open attribute '") + name + "'");
  if (H5Tget_class(type.get()) != H5T_STRING)
    fail(path, std::string("attribute '") + name + "' is not a string");
  if (H5Sget_simple_extent_npoints(space.get()) != 1)
    fail(path, std::string("attribute '") + name + "' is not a single string");
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory_type.get(), &text) < 0 || !text)
      fail(path, std::string("cannot read '") + name + "'");
    const size_t length = strnlen(text, max_bytes + 1);
    std::string value(text, length);
    H5free_memory(text);
    if (length > max_bytes) fail(path, std::string("attribute '") + name + "' is too long");
    return value;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > max_bytes)
    fail(path, std::string("attribute '") + name + "' is too long");
  std::string value(size, '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0)
    fail(path, std::string("cannot read '") + name + "'");
  return value.substr(0, strnlen(value.c_str(), size));
}

// An attribute holding an array of strings (layer_names, weight_names); empty when absent or
// not strings (Keras writes an empty float array for layers without weights).
std::vector<std::string> read_string_list(hid_t object, const char* name, const std::string& path,
                                          size_t max_items) {
  std::vector<std::string> out;
  if (H5Aexists(object, name) <= 0) return out;
  Handle attribute(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attribute.get()), H5Tclose);
  Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!attribute.ok() || !type.ok() || !space.ok())
    fail(path, std::string("cannot open attribute '") + name + "'");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count <= 0 || H5Tget_class(type.get()) != H5T_STRING) return out;
  if (static_cast<size_t>(count) > max_items)
    fail(path, std::string("attribute '") + name + "' lists too many names");
  if (H5Tis_variable_str(type.get()) > 0) {
    std::vector<char*> items(static_cast<size_t>(count), nullptr);
    Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory_type.get(), H5T_VARIABLE);
    if (H5Aread(attribute.get(), memory_type.get(), items.data()) < 0)
      fail(path, std::string("cannot read '") + name + "'");
    for (char* s : items) {
      out.emplace_back(s ? std::string(s, strnlen(s, 4096)) : "");
      H5free_memory(s);
    }
    return out;
  }
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > 4096) fail(path, std::string("attribute '") + name + "': bad name size");
  std::vector<char> buffer(size * static_cast<size_t>(count));
  if (H5Aread(attribute.get(), type.get(), buffer.data()) < 0)
    fail(path, std::string("cannot read '") + name + "'");
  for (hssize_t i = 0; i < count; ++i) {
    const char* s = buffer.data() + static_cast<size_t>(i) * size;
    out.emplace_back(s, strnlen(s, size));
  }
  return out;
}

Weight read_dataset(hid_t file, const std::string& name, const std::string& path, int64_t& budget) {
  if (H5Lexists(file, name.c_str(), H5P_DEFAULT) <= 0) fail(path, "missing weights '" + name + "'");
  Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.ok()) fail(path, "cannot open weights '" + name + "'");
  Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0 || rank > 8) fail(path, "weights '" + name + "' have a bad rank");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  Weight w;
  int64_t count = 1;
  for (hsize_t d : dims) {
    // Checked before multiplying: the product of untrusted sizes must not overflow.
    if (d > static_cast<hsize_t>(budget) || (d > 0 && count > budget / static_cast<int64_t>(d)))
      fail(path, "weights '" + name + "' are larger than the file may hold");
    count *= static_cast<int64_t>(d);
    w.shape.push_back(static_cast<int64_t>(d));
  }
  budget -= count;
  w.values.resize(static_cast<size_t>(count));
  if (count > 0 && H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                           w.values.data()) < 0) {
    fail(path, "cannot read weights '" + name + "'");
  }
  return w;
}

}  // namespace

KerasFile read_keras_file(const std::string& path, const ReadLimits& limits) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors become exceptions here, not stderr noise
  if (!std::ifstream(path)) fail(path, "cannot open the file");
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) fail(path, "cannot open as HDF5 (truncated or corrupt?)");
  KerasFile out;
  out.model_config =
      read_string_attribute(file.get(), "model_config", path, limits.max_config_bytes);
  if (H5Lexists(file.get(), "model_weights", H5P_DEFAULT) <= 0)
    fail(path, "no 'model_weights' group");
  Handle weights(H5Gopen2(file.get(), "model_weights", H5P_DEFAULT), H5Gclose);
  if (!weights.ok()) fail(path, "cannot open 'model_weights'");
  int64_t budget = limits.max_values;
  for (const std::string& layer :
       read_string_list(weights.get(), "layer_names", path, limits.max_layers)) {
    const std::string group = "model_weights/" + layer;
    if (layer.empty() || H5Lexists(file.get(), group.c_str(), H5P_DEFAULT) <= 0) continue;
    Handle g(H5Gopen2(file.get(), group.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) fail(path, "cannot open '" + group + "'");
    auto& layer_weights = out.weights[layer];
    for (const std::string& name : read_string_list(g.get(), "weight_names", path, 64)) {
      // "conv2d_1/kernel:0" -> "kernel"
      std::string key = name.substr(name.rfind('/') + 1);
      key = key.substr(0, key.find(':'));
      layer_weights[key] = read_dataset(file.get(), group + "/" + name, path, budget);
    }
  }
  return out;
}

}  // namespace glia::io::keras
