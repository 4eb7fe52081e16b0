// The answer a reader in a child process (glia/io/isolated_call.hpp) sends its parent: counts,
// texts and float arrays, written by the child, and read back by the parent with every count
// checked against what is left, so that a confused child cannot make the parent allocate or read
// past the end. Shared by the Keras and DICOM readers.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace glia::io::detail {

inline void put_u64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}

inline void put_text(std::string& out, const std::string& s) {
  put_u64(out, s.size());
  out += s;
}

// The count, then the values.
inline void put_floats(std::string& out, const std::vector<float>& v) {
  put_u64(out, v.size());
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

class AnswerReader {
 public:
  // `fail(path, malformed)` is called (and must throw) when the answer does not add up.
  using Fail = void (*)(const std::string& path, const std::string& what);
  AnswerReader(const std::string& bytes, const std::string& path, const char* malformed, Fail fail)
      : bytes_(bytes), path_(path), malformed_(malformed), fail_(fail) {}

  uint64_t u64() {
    need(8);
    uint64_t v;
    std::memcpy(&v, bytes_.data() + at_, 8);
    at_ += 8;
    return v;
  }
  std::string text(uint64_t max = std::numeric_limits<uint64_t>::max()) {
    const uint64_t n = u64();
    if (n > max) bad();
    need(n);
    std::string s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  // `n` floats (put_floats' values, after the caller has read and checked the count).
  void floats(std::vector<float>& out, uint64_t n) {
    if (n > (bytes_.size() - at_) / sizeof(float)) bad();
    out.resize(n);
    if (n) std::memcpy(out.data(), bytes_.data() + at_, n * sizeof(float));  // none: no pointer
    at_ += n * sizeof(float);
  }
  bool done() const { return at_ == bytes_.size(); }
  [[noreturn]] void bad() const {
    fail_(path_, malformed_);
    std::abort();  // not reached: fail_ throws
  }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - at_) bad();
  }
  const std::string& bytes_;
  const std::string& path_;
  const char* malformed_;
  Fail fail_;
  size_t at_ = 0;
};

}  // namespace glia::io::detail
