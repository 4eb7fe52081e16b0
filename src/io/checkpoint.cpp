// glia's checkpoint format (all integers little-endian; docs/checkpoint-format.md):
//   header (32 bytes): magic "GLIACKPT" | u32 version | u32 tensor count | u64 body bytes |
//                      u32 CRC-32 of the body | u32 reserved, 0
//   body, version 2:   u32 metadata bytes | metadata (JSON text) | the tensors
//   body, version 1:   the tensors
//   per tensor:        u32 name bytes | name | u32 rank | rank x i64 extents | float32 data
#include "glia/io/checkpoint.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "glia/io/atomic_file.hpp"
#include "glia/nn/architecture.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the checkpoint reader and writer assume a little-endian host");

namespace glia::io {
namespace {

constexpr size_t kHeaderBytes = 32;
constexpr uint32_t kMaxRank = 8;
constexpr uint32_t kMaxNameBytes = 4096;

// zlib's CRC-32 (IEEE 802.3), over data of any size (zlib takes 32-bit lengths).
uint32_t crc32_of(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads fields from a byte range, failing with the file's name when it runs out.
class Reader {
 public:
  Reader(const std::string& name, const char* data, size_t size)
      : name_(name), data_(data), size_(size) {}

  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  const char* take(size_t bytes, const char* what) {
    if (bytes > size_ - pos_) fail(std::string("corrupt: body ends inside ") + what);
    const char* p = data_ + pos_;
    pos_ += bytes;
    return p;
  }
  size_t remaining() const { return size_ - pos_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("glia::load: '" + name_ + "': " + what);
  }

 private:
  const std::string& name_;
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

void save_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors,
                     const std::string& metadata) {
  std::string body;
  put<uint32_t>(body, static_cast<uint32_t>(metadata.size()));
  body += metadata;
  for (const NamedTensor& t : tensors) {
    put<uint32_t>(body, static_cast<uint32_t>(t.name.size()));
    body += t.name;
    put<uint32_t>(body, static_cast<uint32_t>(t.tensor.dim()));
    for (int64_t extent : t.tensor.shape()) put<int64_t>(body, extent);
    body.append(reinterpret_cast<const char*>(t.tensor.data()),
                sizeof(float) * static_cast<size_t>(t.tensor.numel()));
  }
  std::string file(kCheckpointMagic, sizeof(kCheckpointMagic));
  put<uint32_t>(file, kCheckpointVersion);
  put<uint32_t>(file, static_cast<uint32_t>(tensors.size()));
  put<uint64_t>(file, body.size());
  put<uint32_t>(file, crc32_of(body.data(), body.size()));
  put<uint32_t>(file, 0);
  file += body;
  write_file_atomically(path, file);
}

Checkpoint parse_checkpoint(std::string_view file, const std::string& name) {
  Reader header(name, file.data(), std::min(file.size(), kHeaderBytes));
  if (file.size() < kHeaderBytes) {
    header.fail("truncated: " + std::to_string(file.size()) + " bytes is shorter than the " +
                std::to_string(kHeaderBytes) + "-byte header");
  }
  if (std::memcmp(file.data(), kCheckpointMagic, sizeof(kCheckpointMagic)) != 0) {
    header.fail("not a glia checkpoint (bad magic)");
  }
  header.take(sizeof(kCheckpointMagic), "magic");
  const auto version = header.get<uint32_t>("version");
  if (version != 1 && version != kCheckpointVersion) {
    header.fail("unsupported version " + std::to_string(version) + " (this build reads 1 and " +
                std::to_string(kCheckpointVersion) + ")");
  }
  const auto count = header.get<uint32_t>("count");
  const auto body_bytes = header.get<uint64_t>("body size");
  const auto stored_crc = header.get<uint32_t>("checksum");
  const auto reserved = header.get<uint32_t>("reserved");
  if (reserved != 0) {
    header.fail("corrupt: the reserved header field (bytes 28-31) is " + std::to_string(reserved) +
                ", not 0");
  }
  const uint64_t actual = file.size() - kHeaderBytes;
  if (actual < body_bytes) {
    header.fail("truncated: header announces " + std::to_string(body_bytes) +
                " body bytes, file has " + std::to_string(actual));
  }
  if (actual > body_bytes) {
    header.fail("corrupt: " + std::to_string(actual - body_bytes) + " unexpected trailing bytes");
  }
  const char* body = file.data() + kHeaderBytes;
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  // (Fuzz builds skip it, as libpng's do: the fuzzer could not get past a checksum to reach the
  // parser behind it. Everything after it is checked as if the checksum had been forged.)
  if (crc32_of(body, body_bytes) != stored_crc) header.fail("corrupt: checksum mismatch");
#else
  (void)stored_crc;
#endif

  Reader in(name, body, body_bytes);
  Checkpoint out;
  if (version >= 2) {
    const auto meta_bytes = in.get<uint32_t>("the metadata length");
    out.metadata.assign(in.take(meta_bytes, "the metadata"), meta_bytes);
  }
  // Every tensor takes at least a name length and a rank: a count beyond that is corrupt, and
  // checking it first bounds the reservation below.
  if (count > in.remaining() / 8) {
    in.fail("corrupt: " + std::to_string(count) + " tensors cannot fit in the body");
  }
  out.tensors.reserve(count);
  const int64_t max_elements = static_cast<int64_t>(body_bytes / sizeof(float));
  for (uint32_t i = 0; i < count; ++i) {
    const auto name_bytes = in.get<uint32_t>("a name length");
    if (name_bytes > kMaxNameBytes) {
      in.fail("corrupt: a tensor name of " + std::to_string(name_bytes) + " bytes");
    }
    std::string tensor_name(in.take(name_bytes, "a name"), name_bytes);
    const auto rank = in.get<uint32_t>("a rank");
    if (rank > kMaxRank) {
      in.fail("corrupt: tensor '" + tensor_name + "' has rank " + std::to_string(rank));
    }
    Shape shape;
    for (uint32_t d = 0; d < rank; ++d) shape.push_back(in.get<int64_t>("a shape"));
    const int64_t numel = shape_numel_within(shape, max_elements);
    if (numel < 0) {
      in.fail("corrupt: tensor '" + tensor_name + "' shape " + shape_str(shape).str() +
              " exceeds the file");
    }
    const char* data = in.take(sizeof(float) * static_cast<size_t>(numel), "tensor data");
    Tensor t = Tensor::empty(shape);
    if (numel) std::memcpy(t.data(), data, sizeof(float) * static_cast<size_t>(numel));
    out.tensors.push_back({std::move(tensor_name), t});
  }
  if (in.remaining() != 0) {
    in.fail("corrupt: bytes left after " + std::to_string(count) + " tensors");
  }
  return out;
}

Checkpoint read_checkpoint(const std::string& path) {
  std::string file;
  try {
    file = read_file(path);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("glia::load: ") + e.what());
  }
  return parse_checkpoint(file, path);
}

bool is_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kCheckpointMagic)] = {};
  return in.read(magic, sizeof(magic)) &&
         std::memcmp(magic, kCheckpointMagic, sizeof(kCheckpointMagic)) == 0;
}

std::string architecture_of(const Checkpoint& checkpoint) {
  if (checkpoint.metadata.empty()) return "";
  const nlohmann::json meta = nlohmann::json::parse(checkpoint.metadata, nullptr, false);
  if (!meta.is_object() || !meta.contains("architecture")) return "";
  return meta.at("architecture").dump();
}

void save(const nn::Module& module, const std::string& path) {
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (std::optional<std::string> architecture = nn::describe_architecture(module)) {
    meta["architecture"] = nlohmann::ordered_json::parse(*architecture);
  }
  save_checkpoint(path, module.named_state(), meta.empty() ? "" : meta.dump());
}

void load(nn::Module& module, const std::string& path) {
  const Checkpoint stored = read_checkpoint(path);
  try {
    copy_named_tensors(stored.tensors, module.named_state(), "load");
  } catch (const std::invalid_argument& e) {
    // "glia::load: missing tensor 'x'" -> "glia::load: '<path>': missing tensor 'x'"
    std::string what = e.what();
    const std::string prefix = "glia::load: ";
    if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
    throw std::runtime_error("glia::load: '" + path + "': " + what + " (the module's)");
  }
}

std::shared_ptr<nn::Module> load_model(const std::string& path) {
  const Checkpoint stored = read_checkpoint(path);
  const std::string architecture = architecture_of(stored);
  if (architecture.empty()) {
    throw std::runtime_error("glia::load_model: '" + path +
                             "' does not record an architecture: build the model in code and "
                             "load() its weights");
  }
  int64_t floats = 0;
  for (const NamedTensor& t : stored.tensors) floats += t.tensor.numel();
  std::shared_ptr<nn::Module> model;
  try {
    model = nn::build_architecture(architecture, floats);
    copy_named_tensors(stored.tensors, model->named_state(), "load_model");
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("glia::load_model: '" + path + "': " + e.what());
  }
  model->eval();
  return model;
}

}  // namespace glia::io
