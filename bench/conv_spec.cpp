#include "conv_spec.hpp"

#include "conv_suite_text.hpp"  // generated from conv_suite.txt by CMake

#include <cctype>
#include <map>
#include <sstream>

namespace glia::bench {
namespace {

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw std::invalid_argument("bad conv spec '" + text + "': " + why);
}

}  // namespace

double ConvSpec::flops() const {
  return 2.0 * static_cast<double>(mb) * static_cast<double>(oc) * static_cast<double>(ic) *
         static_cast<double>(kh) * static_cast<double>(kw) * static_cast<double>(oh) *
         static_cast<double>(ow);
}

ConvSpec parse_conv_spec(const std::string& text) {
  static const char* kKeys[] = {"mb", "ic", "ih", "iw", "oc", "oh", "ow",
                                "kh", "kw", "sh", "sw", "ph", "pw"};
  std::string body = text.substr(0, text.find('_'));
  if (body.empty()) bad(text, "empty");
  std::map<std::string, int64_t> values;
  size_t i = 0;
  while (i < body.size()) {
    if (i + 2 > body.size() || !std::isalpha(static_cast<unsigned char>(body[i])) ||
        !std::isalpha(static_cast<unsigned char>(body[i + 1]))) {
      bad(text, "expected a two-letter key at '" + body.substr(i) + "'");
    }
    const std::string key = body.substr(i, 2);
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) bad(text, "unknown key '" + key + "'");
    i += 2;
    size_t digits = i;
    while (digits < body.size() && std::isdigit(static_cast<unsigned char>(body[digits]))) ++digits;
    if (digits == i) bad(text, "key '" + key + "' has no number");
    if (digits - i > 9) bad(text, "the number of '" + key + "' is too large");
    if (values.count(key)) bad(text, "key '" + key + "' is given twice");
    values[key] = std::stoll(body.substr(i, digits - i));
    i = digits;
  }
  auto get = [&](const char* key, int64_t fallback) {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  };
  for (const char* required : {"ic", "ih", "oc", "kh"}) {
    if (!values.count(required)) bad(text, std::string("missing '") + required + "'");
  }
  ConvSpec s;
  s.text = text;
  s.mb = get("mb", 2);
  s.ic = get("ic", 0);
  s.ih = get("ih", 0);
  s.iw = get("iw", s.ih);
  s.oc = get("oc", 0);
  s.kh = get("kh", 0);
  s.kw = get("kw", s.kh);
  s.sh = get("sh", 1);
  s.sw = get("sw", s.sh);
  s.ph = get("ph", 0);
  s.pw = get("pw", s.ph);
  for (const auto& [key, v] : std::map<std::string, int64_t>{{"mb", s.mb},
                                                             {"ic", s.ic},
                                                             {"ih", s.ih},
                                                             {"iw", s.iw},
                                                             {"oc", s.oc},
                                                             {"kh", s.kh},
                                                             {"kw", s.kw},
                                                             {"sh", s.sh},
                                                             {"sw", s.sw}}) {
    if (v < 1) bad(text, "'" + key + "' must be at least 1");
  }
  if (s.sh != s.sw) bad(text, "glia needs equal strides (sh == sw)");
  if (s.ph != s.pw) bad(text, "glia needs equal paddings (ph == pw)");
  s.oh = (s.ih + 2 * s.ph - s.kh) / s.sh + 1;
  s.ow = (s.iw + 2 * s.pw - s.kw) / s.sw + 1;
  if (s.ih + 2 * s.ph < s.kh || s.iw + 2 * s.pw < s.kw) {
    bad(text, "the kernel is larger than the padded input");
  }
  if (values.count("oh") && values["oh"] != s.oh) {
    bad(text, "oh " + std::to_string(values["oh"]) + " does not match the other sizes (" +
                  std::to_string(s.oh) + ")");
  }
  if (values.count("ow") && values["ow"] != s.ow) {
    bad(text, "ow " + std::to_string(values["ow"]) + " does not match the other sizes (" +
                  std::to_string(s.ow) + ")");
  }
  const double elements = static_cast<double>(s.mb) * static_cast<double>(s.ic + s.oc) *
                          static_cast<double>(s.ih) * static_cast<double>(s.iw);
  if (elements > 4e9) bad(text, "too large to allocate (over 16 GB of tensors)");
  return s;
}

std::vector<ConvSpec> parse_conv_suite(const std::string& text, const std::string& path) {
  std::istringstream in(text);
  std::vector<ConvSpec> suite;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    std::string spec;
    if (!(words >> spec)) continue;
    ConvSpec s;
    try {
      s = parse_conv_spec(spec);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ":" + std::to_string(number) + ": " + e.what());
    }
    std::getline(words >> std::ws, s.note);
    suite.push_back(s);
  }
  if (suite.empty()) throw std::invalid_argument("the suite '" + path + "' lists no shapes");
  return suite;
}

std::vector<ConvSpec> builtin_conv_suite() {
  return parse_conv_suite(kConvSuiteText, "bench/conv_suite.txt");
}

}  // namespace glia::bench
