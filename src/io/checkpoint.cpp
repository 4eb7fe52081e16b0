// glia's checkpoint format, version 1 (all integers little-endian):
//   header (32 bytes): magic "GLIACKPT" | u32 version | u32 tensor count | u64 body bytes |
//                      u32 CRC-32 of the body | u32 zero
//   body, per tensor:  u32 name bytes | name | u32 rank | rank x i64 extents | float32 data
#include "glia/io/checkpoint.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>

#include "glia/io/atomic_file.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the checkpoint reader and writer assume a little-endian host");

namespace glia::io {
namespace {

constexpr size_t kHeaderBytes = 32;
constexpr uint32_t kMaxRank = 8;

// CRC-32 (IEEE 802.3, the one zlib and PNG use).
uint32_t crc32(const char* data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc = table[(crc ^ static_cast<uint8_t>(data[i])) & 0xFFu] ^ (crc >> 8);
  }
  return crc ^ 0xFFFFFFFFu;
}

template <class T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// Reads fields from a byte range, failing with the file's name when it runs out.
class Reader {
 public:
  Reader(const std::string& path, const char* data, size_t size)
      : path_(path), data_(data), size_(size) {}

  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  const char* take(size_t bytes, const char* what) {
    if (bytes > size_ - pos_) {
      fail(std::string("corrupt: body ends inside ") + what);
    }
    const char* p = data_ + pos_;
    pos_ += bytes;
    return p;
  }
  bool at_end() const { return pos_ == size_; }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("glia::load: '" + path_ + "': " + what);
  }

 private:
  const std::string& path_;
  const char* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

void save_tensors(const std::vector<nn::NamedTensor>& tensors, const std::string& path) {
  std::string body;
  for (const nn::NamedTensor& t : tensors) {
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
  put<uint32_t>(file, crc32(body.data(), body.size()));
  put<uint32_t>(file, 0);
  file += body;
  write_file_atomically(path, file);
}

std::vector<nn::NamedTensor> load_tensors(const std::string& path) {
  std::string file;
  try {
    file = read_file(path);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("glia::load: ") + e.what());
  }
  Reader header(path, file.data(), std::min(file.size(), kHeaderBytes));
  if (file.size() < kHeaderBytes) {
    header.fail("truncated: " + std::to_string(file.size()) + " bytes is shorter than the " +
                std::to_string(kHeaderBytes) + "-byte header");
  }
  if (std::memcmp(file.data(), kCheckpointMagic, sizeof(kCheckpointMagic)) != 0) {
    header.fail("not a glia checkpoint (bad magic)");
  }
  header.take(sizeof(kCheckpointMagic), "magic");
  const auto version = header.get<uint32_t>("version");
  if (version != kCheckpointVersion) {
    header.fail("unsupported version " + std::to_string(version) + " (this build reads " +
                std::to_string(kCheckpointVersion) + ")");
  }
  const auto count = header.get<uint32_t>("count");
  const auto body_bytes = header.get<uint64_t>("body size");
  const auto stored_crc = header.get<uint32_t>("checksum");
  const uint64_t actual = file.size() - kHeaderBytes;
  if (actual < body_bytes) {
    header.fail("truncated: header announces " + std::to_string(body_bytes) +
                " body bytes, file has " + std::to_string(actual));
  }
  if (actual > body_bytes) {
    header.fail("corrupt: " + std::to_string(actual - body_bytes) + " unexpected trailing bytes");
  }
  const char* body = file.data() + kHeaderBytes;
  if (crc32(body, body_bytes) != stored_crc) header.fail("corrupt: checksum mismatch");

  Reader in(path, body, body_bytes);
  std::vector<nn::NamedTensor> tensors;
  for (uint32_t i = 0; i < count; ++i) {
    const auto name_bytes = in.get<uint32_t>("a name length");
    std::string name(in.take(name_bytes, "a name"), name_bytes);
    const auto rank = in.get<uint32_t>("a rank");
    if (rank > kMaxRank) in.fail("corrupt: tensor '" + name + "' has rank " + std::to_string(rank));
    Shape shape;
    const int64_t max_elements = static_cast<int64_t>(body_bytes / sizeof(float));
    int64_t numel = 1;
    for (uint32_t d = 0; d < rank; ++d) {
      const auto extent = in.get<int64_t>("a shape");
      shape.push_back(extent);
      // Checked per extent, so that a corrupt shape cannot overflow the product.
      if (extent < 0 || (extent > 0 && numel > max_elements / extent)) {
        in.fail("corrupt: tensor '" + name + "' shape " + shape_str(shape) + " exceeds the file");
      }
      numel *= extent;
    }
    const char* data = in.take(sizeof(float) * static_cast<size_t>(numel), "tensor data");
    Tensor t = Tensor::empty(shape);
    if (numel) std::memcpy(t.data(), data, sizeof(float) * static_cast<size_t>(numel));
    tensors.push_back({std::move(name), t});
  }
  if (!in.at_end()) in.fail("corrupt: bytes left after " + std::to_string(count) + " tensors");
  return tensors;
}

bool is_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(kCheckpointMagic)] = {};
  return in.read(magic, sizeof(magic)) &&
         std::memcmp(magic, kCheckpointMagic, sizeof(kCheckpointMagic)) == 0;
}

void save(const nn::Module& module, const std::string& path) {
  save_tensors(module.named_state(), path);
}

void load(nn::Module& module, const std::string& path) {
  const std::vector<nn::NamedTensor> stored = load_tensors(path);
  std::vector<nn::NamedTensor> target = module.named_state();
  auto fail = [&](const std::string& what) -> void {
    throw std::runtime_error("glia::load: '" + path + "': " + what);
  };
  std::map<std::string, const Tensor*> by_name;
  for (const nn::NamedTensor& s : stored) by_name[s.name] = &s.tensor;
  for (const nn::NamedTensor& t : target) {
    auto it = by_name.find(t.name);
    if (it == by_name.end()) fail("missing tensor '" + t.name + "' that the module expects");
    if (it->second->shape() != t.tensor.shape()) {
      fail("tensor '" + t.name + "' has shape " + shape_str(it->second->shape()) +
           ", the module expects " + shape_str(t.tensor.shape()));
    }
  }
  if (stored.size() != target.size()) {
    std::map<std::string, bool> expected;
    for (const nn::NamedTensor& t : target) expected[t.name] = true;
    for (const nn::NamedTensor& s : stored) {
      if (!expected.count(s.name)) fail("unexpected tensor '" + s.name + "' not in the module");
    }
    fail("duplicate tensor names");
  }
  // Everything checked: only now write into the module.
  for (nn::NamedTensor& t : target) {
    const Tensor& from = *by_name[t.name];
    if (from.numel()) {
      std::memcpy(t.tensor.data(), from.data(), sizeof(float) * static_cast<size_t>(from.numel()));
    }
  }
}

}  // namespace glia::io
