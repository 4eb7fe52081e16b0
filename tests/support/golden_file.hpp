// Reads the known-value files written by tests/golden/make_golden.py.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <glia/glia.hpp>

namespace glia::testing {

inline std::map<std::string, Tensor> load_golden(const std::string& filename) {
  const std::string path = std::string(GLIA_TEST_DATA_DIR) + "/" + filename;
  std::ifstream in(path);
  REQUIRE(in.good());
  std::map<std::string, Tensor> tensors;
  std::string header, values;
  while (std::getline(in, header)) {
    if (header.empty() || header[0] == '#') continue;
    std::istringstream h(header);
    std::string name;
    int rank = 0;
    h >> name >> rank;
    Shape shape(static_cast<size_t>(rank));
    for (int64_t& extent : shape) h >> extent;
    REQUIRE(std::getline(in, values));
    std::istringstream v(values);
    std::vector<float> data(static_cast<size_t>(shape_numel(shape)));
    for (float& f : data) REQUIRE(static_cast<bool>(v >> f));
    tensors[name] = Tensor::from(data, shape);
  }
  return tensors;
}

// The closed-form inputs the golden scripts also use: offset + scale * sin(a * i + b).
inline Tensor formula(const Shape& shape, double a, double b, double scale, double offset = 0.0) {
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    t.data()[i] = static_cast<float>(offset + scale * std::sin(a * static_cast<double>(i) + b));
  }
  return t;
}

// Every element within atol + rtol * |expected|; reports the worst element on failure.
inline void require_close(const Tensor& got, const Tensor& expected, double atol = 1e-5,
                          double rtol = 1e-4) {
  REQUIRE(got.defined());
  REQUIRE(got.shape() == expected.shape());
  int64_t worst = -1;
  double worst_excess = 0.0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double e = expected.data()[i], g = got.data()[i];
    const double excess = std::fabs(g - e) - (atol + rtol * std::fabs(e));
    if (!(excess <= worst_excess)) {
      worst_excess = excess;
      worst = i;
    }
  }
  INFO("worst element " << worst << " of " << shape_str(got.shape()) << ": got "
                        << (worst >= 0 ? got.data()[worst] : 0.0f) << ", expected "
                        << (worst >= 0 ? expected.data()[worst] : 0.0f));
  REQUIRE(worst == -1);
}

}  // namespace glia::testing
