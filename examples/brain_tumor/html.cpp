#include "html.hpp"

#include <algorithm>

#include "preprocess.hpp"

namespace brain_tumor {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? digits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string data_uri(const std::string& mime, const std::string& bytes) {
  return "data:" + mime + ";base64," + base64(bytes);
}

std::string thumbnail_uri(const glia::io::Image& image, int max_side) {
  const double s = static_cast<double>(max_side) / std::max(image.width, image.height);
  const glia::io::Image small =
      s >= 1.0 ? image
               : resize_bicubic(image, std::max(1, static_cast<int>(image.width * s + 0.5)),
                                std::max(1, static_cast<int>(image.height * s + 0.5)));
  return data_uri("image/jpeg", glia::io::encode_jpeg(swap_red_blue(small), 85));
}

}  // namespace brain_tumor
