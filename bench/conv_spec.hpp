// Convolution problems written as benchdnn writes them: "mb32ic64ih56iw56oc64kh3kw3sh1sw1ph1pw1".
//
// Keys (any order, each at most once): mb (batch, default 2 as in benchdnn), ic, ih, iw, oc,
// kh, kw, sh, sw, ph, pw, and optionally oh, ow (checked against the others). iw defaults to ih,
// kw to kh, sw to sh, pw to ph; ic, ih, oc and kh are required. An optional "_name" suffix is
// ignored. glia convolves with one stride and one padding for both axes, so sh must equal sw
// and ph equal pw.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace glia::bench {

struct ConvSpec {
  int64_t mb = 2, ic = 0, ih = 0, iw = 0, oc = 0, kh = 0, kw = 0, sh = 1, sw = 1, ph = 0, pw = 0;
  int64_t oh = 0, ow = 0;  // derived
  std::string text;        // as written
  std::string note;        // what the suite says about it
  double flops() const;    // 2 * N * O * C * KH * KW * OH * OW
};

// Throws std::invalid_argument saying which part of `text` is wrong.
ConvSpec parse_conv_spec(const std::string& text);

// A suite: one spec per line, then an optional note; '#' starts a comment. `origin` names the
// text in errors.
std::vector<ConvSpec> parse_conv_suite(const std::string& text, const std::string& origin);

// bench/conv_suite.txt, compiled into the program.
std::vector<ConvSpec> builtin_conv_suite();

}  // namespace glia::bench
